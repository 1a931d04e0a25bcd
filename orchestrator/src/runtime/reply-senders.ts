/**
 * Who may answer requests of each capability domain: the principals whose messages SQS reports as their
 * `SenderId` (on AWS the unique id of the IAM role, `AROA...`, or user, `AIDA...`; for a role session
 * SQS appends `:<session name>`, which is ignored here). Domains not listed take `others`; with no
 * `others`, replies for them are not checked (a deployment that configures no teams).
 */
export interface ReplySenders {
  readonly byDomain: Readonly<Record<string, readonly string[]>>;
  readonly others?: readonly string[] | undefined;
  /**
   * The orchestrator's own principals: the only senders of a child instance's end to its parent (a reply
   * to a sub_workflow's wait). Unset: those replies are not checked by sender (their request ids are).
   */
  readonly engine?: readonly string[] | undefined;
}

/** The principal part of a SenderId: `AROAEXAMPLE:session` -> `AROAEXAMPLE`. */
export function senderPrincipal(senderId: string): string {
  const colon = senderId.indexOf(':');
  return colon < 0 ? senderId : senderId.slice(0, colon);
}

/**
 * Why a reply to a request of `capabilityId` sent by `senderId` is refused, or undefined when it is not:
 * its domain has principals and the sender is none of them (or the transport did not say who sent it).
 */
export function senderRefusal(
  senders: ReplySenders,
  capabilityId: string,
  senderId: string | undefined,
): string | undefined {
  const domain = capabilityId.split('#')[0] ?? '';
  const allowed = senders.byDomain[domain] ?? senders.others;
  if (allowed === undefined) return undefined;
  if (senderId === undefined || senderId === '') {
    return `the transport did not say who sent this reply; replies for domain '${domain}' are accepted from its team only`;
  }
  if (allowed.includes(senderPrincipal(senderId))) return undefined;
  return `sent by ${senderPrincipal(senderId)}, which is not a principal of capability domain '${domain}' (${capabilityId})`;
}

/** Why a reply to a sub_workflow's wait sent by `senderId` is refused: only the orchestrator sends those. */
export function childEndRefusal(senders: ReplySenders, senderId: string | undefined): string | undefined {
  if (senders.engine === undefined) return undefined;
  if (senderId !== undefined && senders.engine.includes(senderPrincipal(senderId))) return undefined;
  return `sent by ${senderId === undefined || senderId === '' ? 'an unknown sender' : senderPrincipal(senderId)}: only the orchestrator reports a child instance's end`;
}
