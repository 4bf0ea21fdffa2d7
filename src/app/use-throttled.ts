/**
 * A store value that a component follows at most once per `ms`, always ending on the
 * latest: for views whose rendering costs more than the updates they get (a chart redrawn
 * at every metrics message would keep the page's main thread busy).
 */
import { useEffect, useState } from 'react';
import { throttle, whenChanged } from './throttle';

/**
 * A value read from a store (`read`, stable across renders) at most once per `ms`: the
 * component renders only then, not at every change of the store in between.
 */
export function useThrottledStore<T>(subscribe: (listener: () => void) => () => void, read: () => T, ms: number): T {
  const [shown, setShown] = useState(read);
  useEffect(() => {
    const updates = throttle(() => setShown(() => read()), ms);
    // only a change of the value itself counts: other changes of the store must not use up its turn
    const unsubscribe = subscribe(whenChanged(read, updates.request));
    // a change between the first render and this effect
    setShown(() => read());
    return () => {
      unsubscribe();
      updates.cancel();
    };
  }, [subscribe, read, ms]);
  return shown;
}
