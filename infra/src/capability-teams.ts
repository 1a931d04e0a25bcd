import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { capabilityDomain, type ResourceNames } from '../../orchestrator/src/naming/resource-names';
import { InvalidAppContextError } from './app-context';
import type { Queues } from './queues';

/**
 * The principal that may assume a team's role: an account (`111122223333`, or `arn:aws:iam::<account>:root`,
 * which trusts that account's administrators to delegate), or one role or user in it.
 */
const PRINCIPAL_PATTERN =
  /^(\d{12}|arn:aws[a-z-]*:iam::\d{12}:(root|role\/[\w+=,.@/-]+|user\/[\w+=,.@/-]+))$/;

/**
 * `capabilityTeams`: capability domain -> the AWS principal of the team that serves it, as a JSON object
 * (a string on the command line, `--context capabilityTeams='{"import":"arn:aws:iam::111122223333:root"}'`,
 * or an object in `cdk.json`). Empty when absent.
 */
export function readCapabilityTeams(tryGetContext: (key: string) => unknown): ReadonlyMap<string, string> {
  const value = tryGetContext('capabilityTeams');
  if (value === undefined || value === null || value === '') return new Map();
  let teams: unknown = value;
  if (typeof value === 'string') {
    try {
      teams = JSON.parse(value);
    } catch {
      throw new InvalidAppContextError(
        `CDK context 'capabilityTeams' must be a JSON object of domain -> principal ARN, got ${JSON.stringify(value)}`,
      );
    }
  }
  if (typeof teams !== 'object' || teams === null || Array.isArray(teams)) {
    throw new InvalidAppContextError(
      `CDK context 'capabilityTeams' must be an object of domain -> principal ARN, got ${JSON.stringify(value)}`,
    );
  }
  const read = new Map<string, string>();
  for (const [domain, principal] of Object.entries(teams as Record<string, unknown>)) {
    try {
      capabilityDomain(`${domain}#op`);
    } catch (error) {
      throw new InvalidAppContextError(
        `CDK context 'capabilityTeams': '${domain}' is not a capability domain (${(error as Error).message})`,
        { cause: error },
      );
    }
    if (typeof principal !== 'string' || !PRINCIPAL_PATTERN.test(principal)) {
      throw new InvalidAppContextError(
        `CDK context 'capabilityTeams': the principal of '${domain}' must be an account id or an IAM ` +
          `account, role or user ARN, got ${JSON.stringify(principal)}`,
      );
    }
    read.set(domain, principal);
  }
  return read;
}

export interface CapabilityTeamsProps {
  readonly names: ResourceNames;
  readonly queues: Queues;
  /** Domain -> the principal allowed to assume that domain's team role (see readCapabilityTeams). */
  readonly teams: ReadonlyMap<string, string>;
}

/**
 * One role per capability team, `cch-<env>-<owner>-team-<domain>`, which the team's principal assumes to
 * serve its domain, and which may do exactly this: receive (and delete, change the visibility of, look up)
 * messages on its own request queue, and send to the reply queue. Nothing else: no other domain's queue,
 * no table, no bucket. Requests offloaded to S3 because they exceed SQS's size (the claim check) are not
 * readable with it; a team whose requests can be that large needs its own grant on the payload prefix.
 *
 * IAM keeps a team from sending elsewhere; it cannot keep a team that may send to the shared reply queue
 * from answering another domain's request. So the orchestrator checks every reply's `SenderId` against the
 * role of the domain that request was sent to (`senderIds`, passed to it as CCH_REPLY_SENDERS).
 */
export class CapabilityTeams extends Construct {
  /** The team role of each domain. */
  public readonly roles: ReadonlyMap<string, iam.Role>;

  constructor(scope: Construct, id: string, props: CapabilityTeamsProps) {
    super(scope, id);
    const { names, queues } = props;
    const roles = new Map<string, iam.Role>();
    for (const [domain, principal] of props.teams) {
      const queue = queues.capability.get(domain);
      if (!queue) {
        throw new InvalidAppContextError(
          `capability team '${domain}' has no request queue: add the domain to the stack's capability domains`,
        );
      }
      const role = new iam.Role(this, `Team-${domain}`, {
        roleName: names.capabilityTeamRole(domain),
        description: `Capability team of domain '${domain}': receives its requests, sends replies`,
        assumedBy: /^\d{12}$/.test(principal)
          ? new iam.AccountPrincipal(principal)
          : new iam.ArnPrincipal(principal),
      });
      queue.queue.grantConsumeMessages(role);
      queues.reply.queue.grantSendMessages(role);
      roles.set(domain, role);
    }
    this.roles = roles;
  }

  /**
   * What SQS reports as the `SenderId` of a message a team role sent: the role's unique id (`AROA...`),
   * followed by `:<session name>`, which the orchestrator ignores.
   */
  get senderIds(): Record<string, string[]> {
    return Object.fromEntries([...this.roles].map(([domain, role]) => [domain, [role.roleId]]));
  }
}
