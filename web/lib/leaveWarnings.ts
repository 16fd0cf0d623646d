/**
 * "Leave this page?" while something would be lost: the warnings in force and the ways out
 * they guard. Components call `useLeaveGuard(active, message, scope)` (lib/hooks);
 * `AskBeforeLeaving` (mounted once in the layout) asks
 * before the tab is closed, reloaded or sent to another address (`beforeunload`, which Back
 * past the app's first page is too) and, for a `page` guard, before an in-app link is
 * followed; code that navigates by itself (sign-out) calls `confirmLeave()` first.
 * `app`: what is at stake lives across in-app navigation (the uploads): only leaving the app
 * loses it.
 */
export type Scope = "page" | "app";

const guards = new Map<string, { message: string; scope: Scope }>();

/** The message of the first active guard (of `scope`, or any), or null when leaving loses
 * nothing. */
export function leaveWarning(scope?: Scope): string | null {
  for (const guard of guards.values()) {
    if (scope === undefined || guard.scope === scope) return guard.message;
  }
  return null;
}

/** True when nothing is at stake or the user agreed to leave. */
export function confirmLeave(scope?: Scope): boolean {
  const message = leaveWarning(scope);
  return message === null || window.confirm(message);
}

/** Registers (or, with null, withdraws) the warning `id` stands for. */
export function setLeaveWarning(id: string, warning: { message: string; scope: Scope } | null): void {
  if (warning === null) guards.delete(id);
  else guards.set(id, warning);
}

function sameDocumentLink(event: MouseEvent): HTMLAnchorElement | null {
  if (event.defaultPrevented || event.button !== 0) return null;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return null; // new tab
  const target = event.target instanceof Element ? event.target.closest("a[href]") : null;
  if (!(target instanceof HTMLAnchorElement)) return null;
  if (target.target && target.target !== "_self") return null;
  if (target.hasAttribute("download")) return null;
  const url = new URL(target.href, window.location.href);
  if (url.origin !== window.location.origin) return target; // leaves the app: still this tab
  if (url.pathname === window.location.pathname && url.search === window.location.search) {
    return null; // a #fragment on this page
  }
  return target;
}

/** Listens for the ways out of a page; mounted once, in the root layout. */
export function installLeaveWarnings(): () => void {
  const onClick = (event: MouseEvent) => {
    if (leaveWarning("page") === null || sameDocumentLink(event) === null) return;
    if (!confirmLeave("page")) {
      event.preventDefault(); // Next's <Link> does not navigate a prevented click
      event.stopPropagation();
    }
  };
  const onBeforeUnload = (event: BeforeUnloadEvent) => {
    if (leaveWarning() === null) return;
    event.preventDefault();
    event.returnValue = ""; // older browsers need it set to show their own prompt
  };
  window.addEventListener("click", onClick, true);
  window.addEventListener("beforeunload", onBeforeUnload);
  return () => {
    window.removeEventListener("click", onClick, true);
    window.removeEventListener("beforeunload", onBeforeUnload);
  };
}
