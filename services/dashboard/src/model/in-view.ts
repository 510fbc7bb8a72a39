/**
 * Whether an element is on screen (or nearly), so that a view below the fold does no work while
 * a session streams: at 1280x720 the event log and the plots are out of sight while the ladder
 * is watched, and the ladder while the plots are. A view that scrolls back in catches up at once.
 */
import { useEffect, useRef, useState, type RefObject } from 'react';

/** How far outside the viewport an element still counts as in view (so it is ready on scroll). */
const MARGIN = '200px';

export function useInView<T extends Element>(): [RefObject<T | null>, boolean] {
  const ref = useRef<T>(null);
  const [inView, setInView] = useState(true);
  useEffect(() => {
    const element = ref.current;
    if (element === null) return undefined;
    const observer = new IntersectionObserver(
      ([entry]) => {
        if (entry !== undefined) setInView(entry.isIntersecting);
      },
      { rootMargin: MARGIN },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return [ref, inView];
}

/** `version` while in view; out of view, the last version seen in view (so memos hold). */
export function useVersionInView(version: number, inView: boolean): number {
  const seen = useRef(version);
  if (inView) seen.current = version;
  return seen.current;
}
