/**
 * A value that changes on every animation frame, seen by slower views (text, lists, plots) at
 * most once every `ms`: a fast session then costs them a few renders a second, not sixty.
 * The last change is never lost; it shows at most `ms` late.
 */
import { useEffect, useRef, useState } from 'react';

export function useCoalesced<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  const last = useRef(0);
  useEffect(() => {
    if (Object.is(value, shown)) return undefined;
    const wait = Math.max(0, last.current + ms - performance.now());
    const timer = setTimeout(() => {
      last.current = performance.now();
      setShown(value);
    }, wait);
    return () => clearTimeout(timer);
  }, [value, shown, ms]);
  return shown;
}
