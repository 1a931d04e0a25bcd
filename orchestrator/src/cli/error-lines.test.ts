import { awaitedBy } from './awaited-by';
import { errorLines } from './error-lines';
import { terminalSafe } from './terminal-safe';

describe('errorLines', () => {
  it('a one-line message stays on the line of its code, with the tail', () => {
    expect(errorLines('error ', { code: 'TIMEOUT', message: 'no reply within 1h' }, ' (at Ask)')).toEqual([
      'error TIMEOUT: no reply within 1h (at Ask)',
    ]);
  });

  it('each further line of a message (an INVALID_DEFINITION list) is a line of its own, indented; the tail ends the last', () => {
    const error = {
      code: 'INVALID_DEFINITION',
      message:
        "w.yaml:5:3: error: nodes.A: unknown node 'B'\nw.yaml:9:3: error: nodes.C: node 'C' can never run",
    };
    expect(errorLines('FAILED: ', error, '!')).toEqual([
      "FAILED: INVALID_DEFINITION: w.yaml:5:3: error: nodes.A: unknown node 'B'",
      "  w.yaml:9:3: error: nodes.C: node 'C' can never run!",
    ]);
  });

  it('made safe line by line, a control character inside a line is still shown inert', () => {
    const lines = errorLines('error ', { code: 'X', message: 'first\nsecond \u001b[2Jcleared' });
    expect(lines.map(terminalSafe)).toEqual(['error X: first', '  second \\u001b[2Jcleared']);
  });
});

describe('awaitedBy', () => {
  const wait = { request_id: 'r', node: 'N', capability_id: '', since: '', deadline: null };
  it('names what each kind of wait awaits', () => {
    expect(awaitedBy({ ...wait, capability_id: 'billing#quote' })).toBe(' on billing#quote');
    expect(awaitedBy({ ...wait, kind: 'child', child_instance_id: 'p.N.1' })).toBe(' on child p.N.1');
    expect(awaitedBy({ ...wait, kind: 'timer' })).toBe(' (wait)');
    expect(awaitedBy({ ...wait, kind: 'retry' })).toBe(' (retry)');
  });
});
