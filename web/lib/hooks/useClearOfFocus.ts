"use client";

import { useEffect, useState, type RefObject } from "react";

export type Placement = "bottom" | "top" | "aside";

function overlaps(a: DOMRect, top: number, bottom: number, left: number, right: number) {
  return a.left < right && a.right > left && a.top < bottom && a.bottom > top;
}

/**
 * Where fixed notices go so that they never cover the focused control: at the bottom of the
 * window as usual, at the top when the focused control is under them there, and put aside
 * (`aside`: out of view, still in the notifications list) when it would be under them in both.
 * Focus moving into them, or to no control, never moves them (except back into view).
 */
export function useClearOfFocus(notices: RefObject<HTMLElement | null>, margin = 16): Placement {
  const [placement, setPlacement] = useState<Placement>("bottom");
  useEffect(() => {
    let frame = 0;
    const place = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        const box = notices.current;
        const active = document.activeElement;
        if (box === null) return;
        if (active === null || active === document.body || box.contains(active)) {
          // No control to clear, or the author is in the notifications (a press on a toast's
          // button focuses it): they stay where they are, as moving them between the press
          // and the release would lose the click. Put aside, they come back into view.
          setPlacement((now) => (now === "aside" ? "bottom" : now));
          return;
        }
        const focused = active.getBoundingClientRect();
        const { width, height } = box.getBoundingClientRect();
        const right = window.innerWidth - margin;
        const left = right - width;
        const atBottom = overlaps(focused, window.innerHeight - margin - height, window.innerHeight, left, right);
        const atTop = overlaps(focused, 0, margin + height, left, right);
        setPlacement(!atBottom ? "bottom" : !atTop ? "top" : "aside");
      });
    };
    place();
    document.addEventListener("focusin", place);
    document.addEventListener("focusout", place);
    window.addEventListener("scroll", place, true);
    window.addEventListener("resize", place);
    const observer = new ResizeObserver(place);
    if (notices.current) observer.observe(notices.current);
    return () => {
      cancelAnimationFrame(frame);
      document.removeEventListener("focusin", place);
      document.removeEventListener("focusout", place);
      window.removeEventListener("scroll", place, true);
      window.removeEventListener("resize", place);
      observer.disconnect();
    };
  }, [notices, margin]);
  return placement;
}
