import type { InstanceFilter } from '../operations/instance-filter';
import type {
  IndexPartition,
  IndexQuery,
  IndexQueryResult,
  InstanceQueryPort,
  LeaseState,
} from '../operations/operations-ports';
import type { InstanceRecord } from '../runtime/instance-record';
import type { SfnExecutionReader } from './sfn-execution-reader';

/**
 * The operator queries' storage of a deployment with Step Functions mode (some or every definition
 * deployed as a state machine): the engine's records and indexes, and the executions of its state
 * machines, behind the one port `wf list`, `wf status`, `wf describe` and the console read.
 *
 * Routing: an instance id is the engine's when the state table has its record (the engine runs the
 * children of sub_workflow and map steps whatever their definition's mode, and a definition may have
 * moved between modes), else the execution of that name of a state machine, if any. Step Functions
 * instances have no leases (the stuck check sees none) and no pinned definition.
 */
export class MixedInstanceIndex implements InstanceQueryPort {
  constructor(
    private readonly engine: InstanceQueryPort,
    private readonly executions: SfnExecutionReader,
  ) {}

  queryIndex(query: IndexQuery): Promise<IndexQueryResult> {
    return query.partition.index === 'sfn-executions'
      ? this.executions.queryPartition(query)
      : this.engine.queryIndex(query);
  }

  async records(instanceIds: readonly string[]): Promise<Map<string, InstanceRecord>> {
    const found = await this.engine.records(instanceIds);
    const missing = instanceIds.filter((id) => !found.has(id));
    if (missing.length > 0) {
      for (const [id, record] of await this.executions.records(missing)) found.set(id, record);
    }
    return found;
  }

  leases(instanceIds: readonly string[]): Promise<Map<string, LeaseState>> {
    return this.engine.leases(instanceIds);
  }

  async instance(instanceId: string): Promise<InstanceRecord | undefined> {
    return (await this.engine.instance(instanceId)) ?? this.executions.instance(instanceId);
  }

  /** A Step Functions record names no snapshot (its sha256 is empty): there is none to read. */
  pinnedDefinition(sha256: string): Promise<string | undefined> {
    return sha256 === '' ? Promise.resolve(undefined) : this.engine.pinnedDefinition(sha256);
  }

  modePartitions(filter: InstanceFilter): Promise<IndexPartition[]> {
    return this.executions.partitions(filter);
  }
}
