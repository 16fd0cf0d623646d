/**
 * The browser's notification permission as an external store: read when asked, and again when
 * the author answers the prompt or changes it in the browser's settings.
 */

export type Permission = NotificationPermission | "unsupported";

export function browserNotifications(): typeof Notification | null {
  return typeof window !== "undefined" && "Notification" in window ? window.Notification : null;
}

const listeners = new Set<() => void>();

function changed() {
  listeners.forEach((listener) => listener());
}

export function subscribePermission(listener: () => void): () => void {
  listeners.add(listener);
  let status: PermissionStatus | null = null;
  navigator.permissions
    ?.query({ name: "notifications" })
    .then((answer) => {
      status = answer;
      answer.addEventListener("change", changed);
    })
    .catch(() => undefined);
  return () => {
    listeners.delete(listener);
    status?.removeEventListener("change", changed);
  };
}

export function currentPermission(): Permission {
  return browserNotifications()?.permission ?? "unsupported";
}

/** Asks the browser (its prompt), then tells every reader the answer. */
export async function requestPermission(): Promise<Permission> {
  const api = browserNotifications();
  if (api === null) return "unsupported";
  const answer = await api.requestPermission();
  changed();
  return answer;
}
