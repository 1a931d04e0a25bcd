import { RequestIds, type ReplyKeys } from '../../graph/request-ids';

/**
 * The fixed reply key of the in-memory simulation (`wf run`, the guarantee suites and other tests). Not a
 * secret: nothing outside the process can send a simulated reply. Deployments generate their own keys.
 */
export const SIMULATION_REPLY_KEYS: ReplyKeys = {
  current: 'cch-simulation-reply-key-fixed-for-tests-not-a-secret',
};

export const SIMULATION_REQUEST_IDS = new RequestIds(SIMULATION_REPLY_KEYS);

/** The id the simulation gives the `visit`-th request of `node` in `instanceId`. */
export function simulatedRequestId(instanceId: string, node: string, visit: number): string {
  return SIMULATION_REQUEST_IDS.issue(instanceId, node, visit);
}
