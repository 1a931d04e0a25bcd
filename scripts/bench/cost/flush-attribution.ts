/**
 * Charges a window of messages the resolution items of its own commits. The instance record carries a
 * commit's resolutions until the instance's next message writes them as items (so a commit is one write):
 * the first message of a window writes the items of the commit before the window, and the items of the
 * window's last commit are written after it. Measured as is, a window of branch replies holds the item of
 * the request before them (the fan-out's first task) and misses those of its last batch: at width 3 with the
 * three replies in one event, none of the replies' own items.
 */
export interface FlushAttribution {
  /** Write units the window consumed, as metered. */
  readonly windowWcu: number;
  /** Resolution items written in the window: write units by request id. */
  readonly writtenInWindow: Readonly<Record<string, number>>;
  /** Resolution items written after the window (up to the instance's end): write units by request id. */
  readonly writtenAfter: Readonly<Record<string, number>>;
  /** The requests whose replies the window handled. */
  readonly answered: ReadonlySet<string>;
}

/** The window's write units with the items of requests it did not answer out and its own late items in. */
export function attributedWriteUnits(a: FlushAttribution): number {
  const sum = (items: Readonly<Record<string, number>>, keep: (requestId: string) => boolean) =>
    Object.entries(items).reduce((total, [id, units]) => (keep(id) ? total + units : total), 0);
  const others = sum(a.writtenInWindow, (id) => !a.answered.has(id));
  const late = sum(a.writtenAfter, (id) => a.answered.has(id) && !(id in a.writtenInWindow));
  return a.windowWcu - others + late;
}
