/** What the handler does with a message after the runtime processed it. */
export type HandleOutcome =
  /** Done (or safely ignored): delete the message. */
  | { readonly kind: 'ack'; readonly note?: string }
  /** Not now: make the message visible again after `delaySeconds`. */
  | { readonly kind: 'retry'; readonly reason: string; readonly delaySeconds: number }
  /** Never processable: fail it, so it reaches the DLQ after its receives; `reason` is logged. */
  | { readonly kind: 'reject'; readonly reason: string };

export const ack = (note?: string): HandleOutcome =>
  note === undefined ? { kind: 'ack' } : { kind: 'ack', note };
export const retry = (reason: string, delaySeconds: number): HandleOutcome => ({
  kind: 'retry',
  reason,
  delaySeconds,
});
export const reject = (reason: string): HandleOutcome => ({ kind: 'reject', reason });
