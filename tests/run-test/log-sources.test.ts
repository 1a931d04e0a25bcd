import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeRecord } from '../../scripts/run-test/live-view';
import { instanceFilterPattern, LocalFileLogSource } from '../../scripts/run-test/log-sources';

describe('LocalFileLogSource', () => {
  it('follows one instance from where the file was, across partial lines and foreign lines', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cch-logs-')), 'orchestrator.log');
    writeFileSync(file, JSON.stringify({ instance_id: 'a', msg: 'before the source existed' }) + '\n');
    const source = new LocalFileLogSource(file);
    appendFileSync(file, JSON.stringify({ instance_id: 'a', msg: 'one' }) + '\n');
    appendFileSync(file, JSON.stringify({ instance_id: 'b', msg: 'other instance' }) + '\n');
    appendFileSync(file, 'START RequestId: 123 Version: $LATEST\n');
    const half = JSON.stringify({ instance_id: 'a', msg: 'two' });
    appendFileSync(file, half.slice(0, 10));
    expect((await source.poll('a')).map((r) => r.msg)).toEqual(['one']);
    appendFileSync(file, half.slice(10) + '\n');
    expect((await source.poll('a')).map((r) => r.msg)).toEqual(['two']);
    expect(await source.poll('a')).toEqual([]);
  });

  it('CloudWatch lines are selected with a JSON filter on instance_id', () => {
    expect(instanceFilterPattern('run-1')).toBe('{ $.instance_id = "run-1" }');
  });
});

describe('the run-test live view', () => {
  const t0 = Date.parse('2026-01-01T00:00:00.000Z');
  const at = (ms: number) => new Date(t0 + ms).toISOString();

  it('shows steps with their durations and spots the end', () => {
    expect(
      describeRecord({ msg: 'request sent', node: 'A', capability_id: 'x#y', time: at(1500) }, t0).text,
    ).toBe('+  1.5s  → A: request sent to x#y');
    expect(
      describeRecord(
        { msg: 'step A SUCCEEDED', node: 'A', status: 'SUCCEEDED', duration_ms: 42, time: at(2000) },
        t0,
      ).text,
    ).toBe('+  2.0s  ✓ A SUCCEEDED in 42 ms');
    // A map's step per item names the item's child.
    expect(
      describeRecord(
        {
          msg: 'step Lines SUCCEEDED',
          node: 'Lines',
          status: 'SUCCEEDED',
          duration_ms: 7,
          child_instance_id: 'i.Lines.1.0',
          time: at(2000),
        },
        t0,
      ).text,
    ).toBe('+  2.0s  ✓ Lines SUCCEEDED in 7 ms (child i.Lines.1.0)');
    expect(describeRecord({ msg: 'workflow SUCCEEDED', time: at(2500) }, t0)).toEqual({
      text: '+  2.5s  ■ SUCCEEDED',
      terminal: 'SUCCEEDED',
    });
    expect(
      describeRecord({ msg: 'workflow FAILED', error: { code: 'TIMEOUT' }, time: at(3000) }, t0).terminal,
    ).toBe('FAILED');
    // The error as a reader wants it, not the log's JSON (whose message may be withheld: its length only).
    expect(
      describeRecord(
        {
          msg: 'workflow FAILED',
          error: { code: 'NOT_OK', node: 'Review', message_chars: 14 },
          time: at(3000),
        },
        t0,
      ).text,
    ).toBe('+  3.0s  ■ FAILED: NOT_OK at Review');
    expect(
      describeRecord(
        {
          msg: 'workflow FAILED',
          error: { code: 'TIMEOUT', node: 'Ask', message: 'no reply within 5s' },
          time: at(3000),
        },
        t0,
      ).text,
    ).toBe('+  3.0s  ■ FAILED: TIMEOUT at Ask: no reply within 5s');
    expect(
      describeRecord(
        { msg: 'START_WORKFLOW refused: instance FAILED before its first step', time: at(0) },
        t0,
      ).terminal,
    ).toBe('FAILED');
    expect(describeRecord({ msg: 'instance busy; message will come back' }, t0)).toEqual({});
  });

  it('shows waits that send no request (a wait node, a retry delay, a child), so a long one is no silent hang', () => {
    const line = (record: Parameters<typeof describeRecord>[0]) => describeRecord(record, t0).text;
    expect(line({ msg: 'waiting', node: 'Hold', until: at(600_000), time: at(1000) })).toBe(
      `+  1.0s  ⏸ Hold: waiting until ${at(600_000)}`,
    );
    expect(line({ msg: 'wait over', node: 'Hold', time: at(2000) })).toBe('+  2.0s  ⏵ Hold: wait over');
    expect(line({ msg: 'retry scheduled', node: 'Pay', retry_at: at(9000), time: at(3000) })).toBe(
      `+  3.0s  ↻ Pay: retry at ${at(9000)}`,
    );
    expect(line({ msg: 'retrying the step', node: 'Pay', time: at(9000) })).toBe('+  9.0s  ↻ Pay: retrying');
    expect(line({ msg: 'child started', node: 'Screen', child_instance_id: 'i.Screen.1', time: at(0) })).toBe(
      '+  0.0s  → Screen: child i.Screen.1 started',
    );
  });
});
