/** Keyboard shortcuts (space: play or pause, right arrow: step), not while typing in a field. */
import { useEffect, useRef } from 'react';

const TYPING = new Set(['INPUT', 'TEXTAREA', 'SELECT']);

export function useKeyboard(handlers: Record<string, () => void>): void {
  const current = useRef(handlers);
  current.current = handlers;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (target !== null && TYPING.has(target.tagName)) return;
      const handler = current.current[e.key];
      if (handler === undefined) return;
      // Not the focused button's own click as well.
      e.preventDefault();
      handler();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
