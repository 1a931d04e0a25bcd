import { EngineSteps } from './engine-steps';

/**
 * The steps Lambda's part in a shared end: the terminating branch's state as the cause of the error that
 * carries it through the Parallel states (the parity tests run it on a state machine; here, the size
 * limit a local run does not reach).
 */
describe('terminate (a branch reaching a shared end)', () => {
  it('a branch state too large for an error cause fails SHARED_END_STATE_TOO_LARGE instead of reaching its shared end cut short', () => {
    const steps = new EngineSteps({});
    const state = { context: { big: 'x'.repeat(40_000) }, last_error: null };
    let thrown: unknown;
    try {
      steps.terminate({ action: 'terminate', end: 'Failed', state });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ name: 'SHARED_END_STATE_TOO_LARGE', error: { node: 'Failed' } });
    const small = { context: { note: 'say "hi"' }, last_error: null };
    expect(JSON.parse(steps.terminate({ action: 'terminate', end: 'Failed', state: small }).cause)).toEqual(
      small,
    );
  });
});
