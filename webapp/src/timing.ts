// How long a streamed chunk takes from its SSE event to the screen, kept in
// the page for `make bench-webapp` (docs/webapp.md, Budgets): the time the
// event was parsed, and the first animation frame after the DOM holding its
// text was committed (the frame that paints it).

export interface ChunkTiming {
  received: number;
  visible: number;
}

const pending: number[] = [];
const done: ChunkTiming[] = [];

declare global {
  interface Window {
    __chunkTimings?: ChunkTiming[];
  }
}

export function chunkReceived(): void {
  pending.push(performance.now());
}

// chunksCommitted is called once the DOM holds every chunk received so far.
export function chunksCommitted(): void {
  if (pending.length === 0) return;
  const batch = pending.splice(0);
  requestAnimationFrame(() => {
    const visible = performance.now();
    for (const received of batch) done.push({ received, visible });
    if (done.length > 2000) done.splice(0, done.length - 2000);
    window.__chunkTimings = done;
  });
}
