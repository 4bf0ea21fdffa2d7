/** Rate limits for the page's updates, apart from React so they can be tested alone. */

/**
 * Calls `run` at most once per `ms`: at once if the last call is that long ago, else once
 * at the end of the wait, however many times `request` was called meanwhile.
 */
export function throttle(run: () => void, ms: number, now: () => number = () => performance.now()): { request(): void; cancel(): void } {
  let last = -Infinity;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const fire = () => {
    timer = undefined;
    last = now();
    run();
  };
  return {
    request() {
      if (timer !== undefined) return;
      const wait = last + ms - now();
      if (wait <= 0) fire();
      else timer = setTimeout(fire, wait);
    },
    cancel() {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}

/** A store listener that calls `then` only when the value `read` returns has changed since the last call. */
export function whenChanged<T>(read: () => T, then: () => void): () => void {
  let seen = read();
  return () => {
    const next = read();
    if (Object.is(next, seen)) return;
    seen = next;
    then();
  };
}
