/**
 * Which lessons this browser is sending a file for, in any of its tabs: each tab's upload
 * manager keeps a timestamp per lesson fresh in `localStorage` while it sends. A lesson whose
 * video is `uploading` without a fresh mark is an upload no browser tab here is sending (the
 * tab closed, the browser crashed): "Upload interrupted", not an endless "Uploading".
 */

const PREFIX = "mux-lessons.sending.";
const REFRESH_MS = 2_000;
/** A mark older than this is a tab that is gone. */
const FRESH_MS = 6_000;

const mine = new Set<string>();
let timer: ReturnType<typeof setInterval> | null = null;

function write(lessonId: string): void {
  try {
    localStorage.setItem(PREFIX + lessonId, String(Date.now()));
  } catch {
    // Storage refused (private mode, full): this tab's own uploads are still known.
  }
}

function remove(lessonId: string): void {
  try {
    localStorage.removeItem(PREFIX + lessonId);
  } catch {
    // as above
  }
}

export function markSending(lessonId: string): void {
  mine.add(lessonId);
  write(lessonId);
  timer ??= setInterval(() => mine.forEach(write), REFRESH_MS);
  notify();
}

export function unmarkSending(lessonId: string): void {
  mine.delete(lessonId);
  remove(lessonId);
  if (mine.size === 0 && timer !== null) {
    clearInterval(timer);
    timer = null;
  }
  notify();
}

/** True when a tab of this browser is sending the lesson's file now. */
export function sendingHere(lessonId: string): boolean {
  if (mine.has(lessonId)) return true;
  try {
    const at = Number(localStorage.getItem(PREFIX + lessonId));
    return at > 0 && Date.now() - at < FRESH_MS;
  } catch {
    return false;
  }
}

const listeners = new Set<() => void>();
function notify(): void {
  listeners.forEach((listener) => listener());
}

/** Calls `listener` whenever what `sendingHere` says may have changed; returns a stop. */
export function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  // Other tabs' marks come and go (`storage`), and a mark goes stale by itself: look again.
  const tick = setInterval(listener, REFRESH_MS);
  window.addEventListener("storage", listener);
  return () => {
    listeners.delete(listener);
    clearInterval(tick);
    window.removeEventListener("storage", listener);
  };
}
