/** What the handler does with a message after the runtime processed it. */
export type HandleOutcome =
  /** Done (or safely ignored): delete the message. */
  | { readonly kind: 'ack'; readonly note?: string }
  /**
   * Not now, and it may never become processable (an instance that does not exist yet): make the message
   * visible again after `delaySeconds`. Each return counts as a receive, so it reaches the DLQ after
   * maxReceiveCount.
   */
  | { readonly kind: 'retry'; readonly reason: string; readonly delaySeconds: number }
  /**
   * Not now, but it will be processable (the instance is busy, or not ready for this reply yet): bring it
   * back after `delaySeconds` WITHOUT counting towards the DLQ. On SQS the handler sends a copy with that
   * delay and deletes the original, so its receive count starts again.
   */
  | { readonly kind: 'defer'; readonly reason: string; readonly delaySeconds: number }
  /** Never processable: goes to the DLQ at once, with `reason` attached and logged. */
  | { readonly kind: 'reject'; readonly reason: string };

export const ack = (note?: string): HandleOutcome =>
  note === undefined ? { kind: 'ack' } : { kind: 'ack', note };
export const retry = (reason: string, delaySeconds: number): HandleOutcome => ({
  kind: 'retry',
  reason,
  delaySeconds,
});
export const defer = (reason: string, delaySeconds: number): HandleOutcome => ({
  kind: 'defer',
  reason,
  delaySeconds,
});
export const reject = (reason: string): HandleOutcome => ({ kind: 'reject', reason });
