import type { z } from 'zod';
import { SYNC_CAPABILITY_PATTERN } from '../definition/workflow-schema';
import { coreProcessResponse } from './core-process-response';
import { httpCapability } from './http/http-capability';
import { NO_SECRETS } from './secret-source';
import {
  SyncCapabilityError,
  type SyncCapability,
  type SyncCapabilityModule,
  type SyncCapabilityServices,
} from './sync-capability';

export {
  SyncCapabilityError,
  type SyncCapability,
  type SyncCapabilityCall,
  type SyncCapabilityModule,
  type SyncCapabilityServices,
} from './sync-capability';

/**
 * The synchronous capabilities of this deployment: what `sync_call` nodes may name, what `wf validate`
 * checks their `with` against, and what the orchestrator Lambda, the Step Functions steps Lambda and
 * `wf run` bundle. A team adds its own capability as a module beside this file (copy template/) and one
 * entry here; see docs/sync-capabilities.md.
 */
export const DEPLOYED_SYNC_CAPABILITIES: readonly SyncCapabilityModule<unknown>[] = [
  coreProcessResponse,
  httpCapability,
  // Team capabilities go here, e.g. `rateQuote,` (imported from './rate-quote/rate-quote').
];

/**
 * The capabilities of `modules`, created once with `services`, by id. Each checks its `with` again when
 * called (a definition validated by an older deployment, or a Step Functions payload, gets a clear
 * INVALID_PARAMETERS failure, not a capability that misreads its parameters) and carries its schema as
 * `parameters` and its `expressionFields` for validation. Throws on a malformed or repeated id: a deployment that cannot start.
 */
export function createSyncCapabilities(
  services: SyncCapabilityServices,
  modules: readonly SyncCapabilityModule<unknown>[] = DEPLOYED_SYNC_CAPABILITIES,
): Readonly<Record<string, SyncCapability>> {
  const capabilities: Record<string, SyncCapability> = {};
  for (const module of modules) {
    if (!SYNC_CAPABILITY_PATTERN.test(module.id)) {
      throw new Error(`bad sync capability id '${module.id}'`);
    }
    if (Object.hasOwn(capabilities, module.id)) {
      throw new Error(`sync capability '${module.id}' is registered twice`);
    }
    const run = module.create(services);
    const { parameters, expressionFields } = module;
    const capability = async (call: Parameters<SyncCapability>[0]) =>
      run({ ...call, params: parametersOf(module.id, parameters, call.params) });
    capabilities[module.id] = Object.assign(
      capability,
      parameters ? { parameters } : {},
      expressionFields ? { expressionFields } : {},
    );
  }
  return capabilities;
}

function parametersOf(id: string, schema: z.ZodType | undefined, given: unknown): unknown {
  if (schema === undefined) {
    if (given === undefined) return undefined;
    throw new SyncCapabilityError(`capability '${id}' takes no parameters (with)`, 'INVALID_PARAMETERS');
  }
  const parsed = schema.safeParse(given);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${['with', ...i.path].join('.')}: ${i.message}`);
    throw new SyncCapabilityError(`capability '${id}': ${problems.join('; ')}`, 'INVALID_PARAMETERS');
  }
  return parsed.data;
}

/**
 * The deployment's capabilities where no secret source is configured (in-memory simulations, tests):
 * an `http` header from a secret fails with SECRET_UNAVAILABLE. The Lambdas and `wf run` create their own
 * with Secrets Manager.
 */
export const builtinSyncCapabilities: Readonly<Record<string, SyncCapability>> = createSyncCapabilities({
  secrets: NO_SECRETS,
  fetch: (input, init) => fetch(input, init),
});
