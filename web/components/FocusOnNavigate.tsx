"use client";

import { usePathname } from "next/navigation";
import { useEffect, useRef } from "react";

const WAIT_MS = 5_000;

/** Focus that a navigation left nowhere: the document's body, the page's `main`, or the link
 * that was followed. Focus the app put somewhere on purpose is left where it is. */
function leftBehind(): boolean {
  const active = document.activeElement;
  return (
    active === null ||
    active === document.body ||
    active.id === "main" ||
    !active.isConnected ||
    active instanceof HTMLAnchorElement
  );
}

/**
 * After an in-app navigation (a link, Back, Forward), focus moves to the new page's heading,
 * so keyboard and screen-reader users start there instead of at the document's body. The
 * heading may come a moment later (a page reads its data first): it is waited for, briefly.
 * Mounted once, in the root layout; the first page load is left to the browser.
 */
export function FocusOnNavigate() {
  const pathname = usePathname();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const main = document.getElementById("main");
    if (main === null) return;
    const focusHeading = (): boolean => {
      const heading = main.querySelector<HTMLElement>("h1");
      if (heading === null) return false;
      if (leftBehind()) {
        if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
        heading.focus();
      }
      return true;
    };
    if (focusHeading()) return;
    const observer = new MutationObserver(() => {
      if (focusHeading()) observer.disconnect();
    });
    observer.observe(main, { childList: true, subtree: true });
    const timer = setTimeout(() => observer.disconnect(), WAIT_MS);
    return () => {
      observer.disconnect();
      clearTimeout(timer);
    };
  }, [pathname]);
  return null;
}
