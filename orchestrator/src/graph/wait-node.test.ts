import {
  at,
  INSTANCE,
  recordOf,
  runInlineWorkflow,
  startInlineWorkflow,
  steps,
} from './testing/run-inline-workflow';

/** `wait` nodes: a duration, or until a time from the context, on a durable timer. */

const HOUR = 3600 * 1000;

const WAIT = (how: string, extra = '') => `
workflow_name: cool off
workflow_id: cool_off_v1
entry_point: Cool_Off
nodes:
  Cool_Off:
    type: wait
    ${how}
    next: Done
${extra}  Done:
    type: end
`;

describe('wait', () => {
  it('waits its duration on a timer: the invocation ends, nothing is sent, the record shows the wait', async () => {
    const sim = startInlineWorkflow(WAIT('duration: 2h'));
    await sim.step(); // START
    const waiting = await recordOf(sim);
    expect(waiting.status).toBe('WAITING');
    expect(waiting.waits).toEqual([
      {
        kind: 'timer',
        request_id: `${INSTANCE}:Cool_Off:1:wait`,
        node: 'Cool_Off',
        capability_id: '',
        since: at(0),
        deadline: at(2 * HOUR),
      },
    ]);
    const sleep = jest.spyOn(sim.clock, 'sleep');
    let handled = 0;
    while (await sim.step()) handled++;
    const record = await recordOf(sim);
    expect(record.status).toBe('SUCCEEDED');
    expect(handled).toBe(1); // the timer
    expect(sleep).not.toHaveBeenCalled();
    expect(sim.dispatcher.sent).toEqual([]);
    expect(record.history).toEqual([
      { node: 'Cool_Off', status: 'SUCCEEDED', started_at: at(0), ended_at: at(2 * HOUR) },
      { node: 'Done', status: 'SUCCEEDED', started_at: at(2 * HOUR), ended_at: at(2 * HOUR) },
    ]);
  });

  it('waits until a time the context gives (ISO text or epoch milliseconds)', async () => {
    const iso = await runInlineWorkflow(WAIT("until: 'release_at'"), {
      context: { release_at: at(5 * HOUR) },
    });
    expect(iso.record.history[0]).toMatchObject({ node: 'Cool_Off', ended_at: at(5 * HOUR) });
    const epoch = await runInlineWorkflow(WAIT("until: 'release_ms + 60000'"), {
      context: { release_ms: Date.parse(at(HOUR)) },
    });
    expect(epoch.record.history[0]).toMatchObject({ ended_at: at(HOUR + 60_000) });
  });

  it('a time already past goes straight on, in the same invocation', async () => {
    const sim = startInlineWorkflow(WAIT("until: 'release_at'"), {
      context: { release_at: '2000-01-01T00:00:00Z' },
    });
    const schedule = jest.spyOn(sim.timers, 'schedule');
    expect(await sim.step()).toBe(true);
    expect(await sim.step()).toBe(false);
    const record = await recordOf(sim);
    expect(record.status).toBe('SUCCEEDED');
    expect(schedule).not.toHaveBeenCalled();
    expect(record.history[0]).toEqual({
      node: 'Cool_Off',
      status: 'SUCCEEDED',
      started_at: at(0),
      ended_at: at(0),
    });
  });

  it('an until that is no time (or has no time zone) takes on_failure with INVALID_WAIT', async () => {
    for (const value of ['tomorrow', '2026-12-01T09:00:00', null]) {
      const { record } = await runInlineWorkflow(
        WAIT("until: 'release_at'\n    on_failure: Broken", '  Broken: { type: end, status: FAILED }\n'),
        { context: { release_at: value } },
      );
      expect(record.status).toBe('FAILED');
      expect(steps(record)).toEqual([
        ['Cool_Off', 'FAILED'],
        ['Broken', 'FAILED'],
      ]);
      expect(record.error).toMatchObject({ code: 'INVALID_WAIT', node: 'Cool_Off' });
      expect(record.error?.message).toMatch(/^until gave .*: not a time/);
    }
  });

  it('a cancel while waiting ends the instance; the timer tells nobody and is then ignored', async () => {
    const sim = startInlineWorkflow(WAIT('duration: 7d'));
    await sim.step();
    sim.send({ type: 'CANCEL_WORKFLOW', instance_id: INSTANCE, reason: 'no longer needed' });
    while (await sim.step()) {
      /* the cancel, then the timer */
    }
    const record = await recordOf(sim);
    expect(record.status).toBe('CANCELLED');
    expect(record.waits).toEqual([]);
    expect(sim.dispatcher.notices).toEqual([]);
    // The wait it was in ends CANCELLED, as every step an instance is cancelled in does.
    expect(steps(record)).toEqual([['Cool_Off', 'CANCELLED']]);
  });

  it('refuses a TIMER_FIRED set before its wait’s deadline (not one the engine set): the wait goes on', async () => {
    const sim = startInlineWorkflow(WAIT('duration: 10m'));
    await sim.step(); // START
    const waiting = await recordOf(sim);
    const requestId = waiting.waits[0]?.request_id ?? '';
    // Sent by hand while the wait still has minutes to go, claiming to be due already.
    sim.send({ type: 'TIMER_FIRED', instance_id: INSTANCE, request_id: requestId, fire_at: at(0) });
    await sim.step();
    expect(sim.deadLetters.map((d) => d.reason)).toEqual([
      `timer refused (TIMER_NOT_DUE): fire_at ${at(0)} is before the deadline ${at(10 * 60_000)} of the wait of ${requestId} at node Cool_Off; the engine sets every timer at its wait's deadline`,
    ]);
    expect((await recordOf(sim)).status).toBe('WAITING');
    expect(sim.metrics.total('TimersRefused')).toBe(1);
    // The wait's own timer still ends it at its deadline.
    await sim.drain();
    const done = await recordOf(sim);
    expect(done.status).toBe('SUCCEEDED');
    expect(steps(done)).toEqual([
      ['Cool_Off', 'SUCCEEDED'],
      ['Done', 'SUCCEEDED'],
    ]);
    expect(done.history[0]?.ended_at).toBe(at(10 * 60_000));
  });

  it("reads $now() and $millis() from the engine's clock: after a simulated 2 h wait, they say 2 h later", async () => {
    // The simulation's clock starts on 2026-01-01; the wall clock is elsewhere, so JSONata's own $now()
    // would make the second wait (until 1 h after the first ended) long past, and skip it.
    const { sim, record } = await runInlineWorkflow(
      WAIT(
        'duration: 2h',
        `  Stamp:
    type: set
    values:
      stamped: '$now()'
      day: "$now('[Y0001]-[M01]-[D01]')"
      millis: '$millis()'
      release: '$millis() + 3600000'
    next: Release
  Release:
    type: wait
    until: release
    next: Done
`,
      ).replace('next: Done\n  Stamp', 'next: Stamp\n  Stamp'),
    );
    expect(steps(record)).toEqual([
      ['Cool_Off', 'SUCCEEDED'],
      ['Stamp', 'SUCCEEDED'],
      ['Release', 'SUCCEEDED'],
      ['Done', 'SUCCEEDED'],
    ]);
    expect(record.context).toMatchObject({
      stamped: at(2 * HOUR),
      day: '2026-01-01',
      millis: Date.parse(at(2 * HOUR)),
    });
    expect(record.history.find((h) => h.node === 'Release')?.ended_at).toBe(at(3 * HOUR));
    expect(sim.clock.now().toISOString()).toBe(at(3 * HOUR));
  });
});
