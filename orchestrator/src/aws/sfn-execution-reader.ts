import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  type ExecutionListItem,
  type ExecutionStatus,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { selectedStatuses, type InstanceFilter } from '../operations/instance-filter';
import { newerFirst } from '../operations/merged-index-pages';
import type {
  IndexEntry,
  IndexPartition,
  IndexQuery,
  IndexQueryResult,
} from '../operations/operations-ports';
import type { InstanceRecord } from '../runtime/instance-record';
import { awsCall, translateAwsError } from './aws-errors';
import { executionRecord, INSTANCE_STATUSES_OF_EXECUTION } from './sfn-execution-record';
import type { DeployedStateMachine } from './sfn-state-machines';

/** The execution statuses that hold instances of a status, in a fixed order (page tokens rely on it). */
const EXECUTION_STATUSES = Object.keys(INSTANCE_STATUSES_OF_EXECUTION) as ExecutionStatus[];

/** The largest page ListExecutions and GetExecutionHistory return. */
const SFN_PAGE = 1000;

/** How many executions `records` reads at once (Step Functions throttles its read APIs per account). */
const RECORDS_AT_ONCE = 8;

/**
 * Step Functions mode's instances read through the Step Functions API: an instance is the execution of
 * its workflow's state machine named by its instance id (CommandBridge), so its ARN is the machine's ARN
 * with `:stateMachine:` made `:execution:` and the name appended. Reads only.
 *
 * Listing: an `sfn-executions` partition is one machine's executions in one status (ListExecutions
 * filters by status and returns newest start first). ListExecutions takes no start time and no position
 * but its own `nextToken`, so a page resumes by reading the partition again from its newest execution
 * and skipping what the previous pages returned: a listing's later pages cost more calls as it goes
 * deeper (one call per 1,000 executions passed). Ordered by status change (`--changed-since`), a
 * partition is read whole, since ListExecutions is ordered by start.
 */
export class SfnExecutionReader {
  private machinesRead: Promise<readonly DeployedStateMachine[]> | undefined;
  /**
   * The state machine each execution a listing returned belongs to, so reading its record asks that
   * machine first instead of each in turn (a hint: an id found nowhere else is still looked up everywhere).
   */
  private readonly listedIn = new Map<string, string>();

  constructor(
    private readonly sfn: SFNClient,
    private readonly findMachines: () => Promise<readonly DeployedStateMachine[]>,
  ) {}

  /** The deployment's state machines, looked up once per reader. */
  machines(): Promise<readonly DeployedStateMachine[]> {
    this.machinesRead ??= this.findMachines();
    return this.machinesRead;
  }

  /**
   * The record of the instance of this id, from the first state machine (of `workflowId` when given)
   * that has an execution of that name; undefined when none has.
   */
  async instance(instanceId: string, workflowId?: string): Promise<InstanceRecord | undefined> {
    const listed = this.listedIn.get(instanceId);
    const machines = [...(await this.machines())].sort(
      (a, b) => Number(b.stateMachineArn === listed) - Number(a.stateMachineArn === listed),
    );
    for (const machine of machines) {
      if (workflowId !== undefined && machine.workflowId !== workflowId) continue;
      const record = await this.executionRecord(machine, instanceId);
      if (record) return record;
    }
    return undefined;
  }

  /** The partitions holding a filter's instances: per machine of its workflow, per execution status. */
  async partitions(filter: InstanceFilter): Promise<IndexPartition[]> {
    const wanted = new Set(selectedStatuses(filter));
    const statuses = EXECUTION_STATUSES.filter((status) =>
      INSTANCE_STATUSES_OF_EXECUTION[status].some((s) => wanted.has(s)),
    );
    const machines = (await this.machines()).filter(
      (m) => filter.workflow_id === undefined || m.workflowId === filter.workflow_id,
    );
    return machines.flatMap((machine) =>
      statuses.map((status) => ({
        index: 'sfn-executions' as const,
        key: `${status}#${machine.stateMachineArn}`,
        sfn: {
          state_machine_arn: machine.stateMachineArn,
          execution_status: status,
          by_change: filter.changed_since !== undefined,
        },
      })),
    );
  }

  /** One page of an `sfn-executions` partition, newest first, as the engine's index answers. */
  async queryPartition(query: IndexQuery): Promise<IndexQueryResult> {
    const sfn = query.partition.sfn;
    if (!sfn) throw new Error(`partition ${query.partition.key} is not one of executions`);
    const entryOf = (item: ExecutionListItem): IndexEntry => ({
      instance_id: item.name ?? '',
      sort_key: ((sfn.by_change ? item.stopDate : undefined) ?? item.startDate ?? new Date(0)).toISOString(),
    });
    const inRange = (entry: IndexEntry) =>
      (query.from === undefined || entry.sort_key >= query.from) &&
      (query.to === undefined || entry.sort_key <= query.to) &&
      (query.after === undefined || newerFirst(query.after, entry) < 0);
    const entries: IndexEntry[] = [];
    let nextToken: string | undefined;
    let pastRange = false;
    do {
      const page = await awsCall('SFN', 'ListExecutions', () =>
        this.sfn.send(
          new ListExecutionsCommand({
            stateMachineArn: sfn.state_machine_arn,
            statusFilter: sfn.execution_status as ExecutionStatus,
            maxResults: SFN_PAGE,
            nextToken,
          }),
        ),
      );
      const items = (page.executions ?? []).map(entryOf);
      entries.push(...items.filter(inRange));
      nextToken = page.nextToken;
      // By start, newest first: once past `from`, no later page can hold an entry in range; and a
      // page that already holds more than `limit` entries answers the query.
      const oldest = items.at(-1);
      pastRange =
        !sfn.by_change && oldest !== undefined && query.from !== undefined && oldest.sort_key < query.from;
      if (pastRange || (!sfn.by_change && entries.length > query.limit)) break;
    } while (nextToken);
    entries.sort(newerFirst);
    for (const entry of entries.slice(0, query.limit))
      this.listedIn.set(entry.instance_id, sfn.state_machine_arn);
    return {
      entries: entries.slice(0, query.limit),
      more: entries.length > query.limit || (!pastRange && nextToken !== undefined),
    };
  }

  /** The records of these instance ids that are executions of the deployment's machines. */
  async records(instanceIds: readonly string[]): Promise<Map<string, InstanceRecord>> {
    const found = new Map<string, InstanceRecord>();
    // A few executions at a time: each is a DescribeExecution and a GetExecutionHistory or more.
    for (let i = 0; i < instanceIds.length; i += RECORDS_AT_ONCE) {
      const ids = instanceIds.slice(i, i + RECORDS_AT_ONCE);
      const records = await Promise.all(ids.map((id) => this.instance(id)));
      records.forEach((record, j) => {
        const id = ids[j];
        if (record && id !== undefined) found.set(id, record);
      });
    }
    return found;
  }

  private async executionRecord(
    machine: DeployedStateMachine,
    name: string,
  ): Promise<InstanceRecord | undefined> {
    const executionArn = `${machine.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    let execution;
    try {
      execution = await this.sfn.send(new DescribeExecutionCommand({ executionArn }));
    } catch (error) {
      // The usual answer for all but one machine of a mixed deployment: no execution of that name.
      if ((error as { name?: string }).name === 'ExecutionDoesNotExist') return undefined;
      throw translateAwsError('SFN', 'DescribeExecution', error);
    }
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await awsCall('SFN', 'GetExecutionHistory', () =>
        this.sfn.send(
          new GetExecutionHistoryCommand({
            executionArn,
            maxResults: SFN_PAGE,
            nextToken,
            includeExecutionData: true,
          }),
        ),
      );
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return executionRecord(
      {
        executionArn,
        stateMachineArn: execution.stateMachineArn ?? machine.stateMachineArn,
        name: execution.name ?? name,
        status: execution.status ?? 'RUNNING',
        startDate: execution.startDate ?? new Date(0),
        stopDate: execution.stopDate,
        input: execution.input,
        output: execution.output,
        error: execution.error,
        cause: execution.cause,
      },
      events,
      machine.workflowId,
    );
  }
}
