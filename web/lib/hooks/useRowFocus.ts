"use client";

import { useCallback, useLayoutEffect, useRef } from "react";

/** The controls a lesson row offers focus to, in the order tried after the wanted one. */
const FALLBACKS = ["move-up", "move-down", "edit"];

/**
 * Keeps focus on the control that was used (or its row's nearest one) after a list of rows
 * re-renders: moved, closed, deleted. Rows carry `data-lesson`, controls `data-control`.
 */
export function useRowFocus() {
  const list = useRef<HTMLOListElement>(null);
  const wanted = useRef<{ lessonId: string; control: string } | null>(null);

  useLayoutEffect(() => {
    const focus = wanted.current;
    if (focus === null) return;
    const row = list.current?.querySelector<HTMLElement>(`[data-lesson="${focus.lessonId}"]`);
    for (const name of [focus.control, ...FALLBACKS]) {
      const control = row?.querySelector<HTMLButtonElement>(`[data-control="${name}"]`);
      if (control && !control.disabled) {
        control.focus();
        break;
      }
    }
    wanted.current = null;
  });

  /** After the next render, focus `control` of the lesson's row. */
  const focusAfter = useCallback((lessonId: string, control: string) => {
    wanted.current = { lessonId, control };
  }, []);

  return { list, focusAfter };
}
