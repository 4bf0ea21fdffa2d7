/**
 * A value that follows another at most once per `ms`, always ending on the latest: for
 * views whose rendering costs more than the updates they get (a chart redrawn at every
 * metrics message would keep the page's main thread busy).
 */
import { useEffect, useRef, useState } from 'react';

export function useThrottled<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  const lastShown = useRef(0);
  useEffect(() => {
    const show = () => {
      lastShown.current = performance.now();
      setShown(value);
    };
    const wait = lastShown.current + ms - performance.now();
    if (wait <= 0) {
      show();
      return;
    }
    const timer = setTimeout(show, wait);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return shown;
}
