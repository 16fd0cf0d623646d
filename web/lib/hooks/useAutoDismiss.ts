"use client";

import { useCallback, useEffect, useMemo, useRef } from "react";

/** How long a success notice stays on screen by itself. */
export const AUTO_DISMISS_MS = 6_000;

interface Timer {
  remaining: number;
  startedAt: number;
  handle: ReturnType<typeof setTimeout> | null;
}

/**
 * Notices that go by themselves: each of `items` that is not `lasting` (an error stays until
 * dismissed) is removed after `ms`, counted only while not paused (the pointer over them,
 * focus among them), so nothing goes while it is being read or used.
 */
export function useAutoDismiss<T extends { key: string }>(
  items: T[],
  lasting: (item: T) => boolean,
  remove: (key: string) => void,
  ms: number = AUTO_DISMISS_MS,
): { pause: () => void; resume: () => void } {
  const timers = useRef(new Map<string, Timer>());
  const paused = useRef(false);
  const removeRef = useRef(remove);
  useEffect(() => {
    removeRef.current = remove;
  });

  const run = useCallback((key: string, timer: Timer) => {
    timer.startedAt = Date.now();
    timer.handle = setTimeout(() => {
      timers.current.delete(key);
      removeRef.current(key);
    }, timer.remaining);
  }, []);

  useEffect(() => {
    const present = new Set(items.map((item) => item.key));
    for (const [key, timer] of timers.current) {
      if (present.has(key)) continue;
      if (timer.handle !== null) clearTimeout(timer.handle);
      timers.current.delete(key);
    }
    for (const item of items) {
      if (lasting(item) || timers.current.has(item.key)) continue;
      const timer: Timer = { remaining: ms, startedAt: Date.now(), handle: null };
      timers.current.set(item.key, timer);
      if (!paused.current) run(item.key, timer);
    }
  }, [items, lasting, ms, run]);

  useEffect(() => {
    const all = timers.current;
    return () => all.forEach((timer) => timer.handle !== null && clearTimeout(timer.handle));
  }, []);

  const pause = useCallback(() => {
    if (paused.current) return;
    paused.current = true;
    const now = Date.now();
    timers.current.forEach((timer) => {
      if (timer.handle === null) return;
      clearTimeout(timer.handle);
      timer.handle = null;
      timer.remaining = Math.max(0, timer.remaining - (now - timer.startedAt));
    });
  }, []);

  const resume = useCallback(() => {
    if (!paused.current) return;
    paused.current = false;
    timers.current.forEach((timer, key) => {
      // A little time to finish reading once the pointer or focus leaves.
      timer.remaining = Math.max(timer.remaining, 2_000);
      run(key, timer);
    });
  }, [run]);

  return useMemo(() => ({ pause, resume }), [pause, resume]);
}
