/** How often a live page refreshes itself unless the console was told otherwise (tests go faster). */
export const DEFAULT_REFRESH_MS = 3000;

/**
 * The page's self-refresh, as a static script (no component framework): every `data-refresh-ms` of the
 * element `#live`, while it says `data-live="true"`, fetch the same URL, and swap in the new `#live`. The
 * server escaped everything in it, so the swap inserts no markup from user data. No swap while a field of
 * it is being filled in; each `details[data-keep]` keeps the fold the reader left it in. A page that defines
 * `window.afterLiveRefresh` (the graph) is told after each swap.
 */
export const LIVE_REFRESH_SCRIPT = `(() => {
  const INTERVAL_MS = Number(document.getElementById('live')?.dataset.refreshMs) || 3000;
  async function refresh() {
    const live = document.getElementById('live');
    if (!live || live.dataset.live !== 'true') return;
    try {
      // A reason being typed into a form of #live would be lost by the swap: wait until it is sent.
      const editing = [...live.querySelectorAll('input, textarea')].some(
        (input) => input === document.activeElement || input.value !== '',
      );
      if (editing) return;
      const response = await fetch(location.href, { headers: { 'x-live-refresh': '1' } });
      if (!response.ok) return;
      const doc = new DOMParser().parseFromString(await response.text(), 'text/html');
      const next = doc.getElementById('live');
      if (!next) return;
      // A fold the reader opened or closed stays as they left it (the new copy has the server's default).
      const folds = new Map(
        [...live.querySelectorAll('details[data-keep]')].map((d) => [d.dataset.keep, d.open]),
      );
      for (const fold of next.querySelectorAll('details[data-keep]')) {
        const open = folds.get(fold.dataset.keep);
        if (open !== undefined) fold.open = open;
      }
      live.replaceWith(next);
      if (typeof window.afterLiveRefresh === 'function') await window.afterLiveRefresh();
    } catch (error) {
      console.warn('refresh failed', error);
    } finally {
      setTimeout(refresh, INTERVAL_MS);
    }
  }
  setTimeout(refresh, INTERVAL_MS);
})();
`;
