import { recordingIo } from './cli-test-io';
import { terminalSafe, terminalSafeIo, terminalSafeLines } from './terminal-safe';

describe('terminalSafe', () => {
  it('shows C0, DEL and C1 control characters as \\u escapes', () => {
    expect(terminalSafe('\u001b[2J\u001b]0;owned\u0007cleared')).toBe(
      '\\u001b[2J\\u001b]0;owned\\u0007cleared',
    );
    expect(terminalSafe('a\nb\r\tc\u0000\u007f\u009b\u0085')).toBe(
      'a\\u000ab\\u000d\\u0009c\\u0000\\u007f\\u009b\\u0085',
    );
  });

  it('leaves printable text, non-ASCII letters and emoji as they are', () => {
    expect(terminalSafe('Größe #1 — ok ✓ 🚚 \u00a0')).toBe('Größe #1 — ok ✓ 🚚 \u00a0');
  });

  it('keeps JSON text valid JSON with the same value', () => {
    const json = JSON.stringify({ message: 'x\u009by\u007f' });
    expect(JSON.parse(terminalSafe(json))).toEqual({ message: 'x\u009by\u007f' });
  });

  it('terminalSafeLines keeps the line breaks and escapes the rest', () => {
    expect(terminalSafeLines('one\u001b[31m\ntwo\u0007')).toBe('one\\u001b[31m\ntwo\\u0007');
  });
});

describe('terminalSafeIo', () => {
  it('makes whatever a command writes inert, keeping the layout: line breaks and tabs', () => {
    const io = recordingIo('/somewhere');
    const safe = terminalSafeIo(io);
    safe.out('a\tb\n\u001b[2Jc\r\n');
    safe.err('\u009b31m\u0007\n');
    expect(io.stdout()).toBe('a\tb\n\\u001b[2Jc\\u000d\n');
    expect(io.stderr()).toBe('\\u009b31m\\u0007\n');
    expect(safe.cwd).toBe('/somewhere');
  });
});
