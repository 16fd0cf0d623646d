/** Focus that an element's removal left on the document's body. */
export function lostFocus(): boolean {
  const active = document.activeElement;
  return active === null || active === document.body || !active.isConnected;
}
