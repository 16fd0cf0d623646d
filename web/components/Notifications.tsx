"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useRef,
  useState,
  useSyncExternalStore,
  type ReactNode,
} from "react";

import { useSettle } from "@/lib/hooks/useAnnounce";
import { subscribeToMe } from "@/lib/api/streams";
import type { CourseFields, VideoStatus } from "@/lib/api/types";
import { useAutoDismiss } from "@/lib/hooks/useAutoDismiss";
import { useClearOfFocus } from "@/lib/hooks/useClearOfFocus";
import { useServiceClient } from "@/lib/hooks/useServiceClient";

/** A change worth telling the author about: a video became ready, or failed. */
export interface Toast {
  key: string;
  lessonId: string;
  title: string;
  kind: "ready" | "failed";
  /** What Mux said, for a failure. */
  error: string | null;
  /** A ready video learners now see (lesson and course public); else only the author. */
  visible?: boolean;
}

const MAX_TOASTS = 4;

export function textOf(toast: Toast): string {
  return toast.kind === "ready"
    ? `«${toast.title}» ${readyText(toast)}`
    : `«${toast.title}» failed: ${toast.error ?? "Mux gave no reason"}.`;
}

/** "ready" for a video only its author sees; "ready and now visible to learners" when true. */
function readyText(toast: Toast): string {
  return toast.visible ? "is ready and now visible to learners." : "is ready.";
}

function browserNotifications(): typeof Notification | null {
  return typeof window !== "undefined" && "Notification" in window ? window.Notification : null;
}

type Permission = NotificationPermission | "unsupported";

// The browser's notification permission as an external store: read when asked, and again
// when the author answers the prompt or changes it in the browser's settings.
const permissionListeners = new Set<() => void>();

function permissionChanged() {
  permissionListeners.forEach((listener) => listener());
}

function subscribePermission(listener: () => void): () => void {
  permissionListeners.add(listener);
  let status: PermissionStatus | null = null;
  navigator.permissions
    ?.query({ name: "notifications" })
    .then((answer) => {
      status = answer;
      answer.addEventListener("change", permissionChanged);
    })
    .catch(() => undefined);
  return () => {
    permissionListeners.delete(listener);
    status?.removeEventListener("change", permissionChanged);
  };
}

function currentPermission(): Permission {
  return browserNotifications()?.permission ?? "unsupported";
}

interface Known {
  status: VideoStatus;
  version: number;
  courseId: string;
  /** The video's playback id when last heard of (undefined: the listing does not say). */
  playbackId?: string | null;
}

/** How many times the author's lessons changed (a status, a lesson added or deleted) while
 * the app was open, counted at most once per CHANGES_COALESCE_MS: pages that show counts
 * read them again when it moves. */
const VideoChangesContext = createContext(0);
/** The author's lessons' text revisions (title and description edits) as their stream last
 * sent them, by lesson id. */
const LessonRevisionsContext = createContext<Record<string, number>>({});

/** The author's courses as last sent by their stream (`event: course`), by id. */
const CoursesContext = createContext<Record<string, CourseFields>>({});

/** The author's lessons whose video is `uploading` (by course), kept current. */
const UploadingContext = createContext<UploadingLesson[]>([]);

export interface UploadingLesson {
  lessonId: string;
  courseId: string;
}
const CHANGES_COALESCE_MS = 300;

/** Every notification of this session, newest first (the header's list). */
const HistoryContext = createContext<Toast[]>([]);
const HISTORY_KEPT = 50;

const PermissionContext = createContext<{
  permission: Permission;
  request: () => Promise<Permission>;
}>({ permission: "unsupported", request: async () => "unsupported" });

/**
 * Notifications on every page, from the author's own stream (`GET /api/me/events`): a toast
 * when one of their videos becomes ready or fails while the app is open (never for what the
 * first listing already says), once per lesson and video version; and, when the tab is hidden
 * and the author allowed it, a browser notification too. Mounted once, in the root layout, so
 * the stream and the toasts live across in-app navigation.
 */
export function NotificationsProvider({ children }: { children: ReactNode }) {
  const { client, session } = useServiceClient();
  const router = useRouter();
  const userId = session.status === "signed-in" ? session.session.user.id : null;
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [history, setHistory] = useState<Toast[]>([]);
  const settle = useSettle();
  const [toastsOf, setToastsOf] = useState(userId);
  const permission = useSyncExternalStore(
    subscribePermission,
    currentPermission,
    () => "unsupported" as const,
  );
  const known = useRef(new Map<string, Known>());
  const told = useRef(new Set<string>());
  const listed = useRef(false);
  const following = useRef<string | null>(null);
  const region = useRef<HTMLDivElement>(null);
  const [changes, setChanges] = useState(0);
  const [uploading, setUploading] = useState<UploadingLesson[]>([]);
  const [courses, setCourses] = useState<Record<string, CourseFields>>({});
  const [revisions, setRevisions] = useState<Record<string, number>>({});
  const revised = useCallback((lessonId: string, revision: number) => {
    setRevisions((all) =>
      all[lessonId] === revision ? all : { ...all, [lessonId]: revision },
    );
  }, []);
  const recount = useCallback(() => {
    const now: UploadingLesson[] = [];
    known.current.forEach((lesson, lessonId) => {
      if (lesson.status === "uploading") now.push({ lessonId, courseId: lesson.courseId });
    });
    setUploading((before) =>
      JSON.stringify(before) === JSON.stringify(now) ? before : now,
    );
  }, []);
  const changeTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const changed = useCallback(() => {
    if (changeTimer.current !== null) return; // a burst of changes is one more reading
    changeTimer.current = setTimeout(() => {
      changeTimer.current = null;
      setChanges((n) => n + 1);
      recount();
    }, CHANGES_COALESCE_MS);
  }, [recount]);
  useEffect(
    () => () => {
      if (changeTimer.current !== null) clearTimeout(changeTimer.current);
    },
    [],
  );

  // Another person signed in: none of the last one's toasts stay on screen.
  if (toastsOf !== userId) {
    setToastsOf(userId);
    setToasts([]);
    setHistory([]);
  }

  const request = useCallback(async (): Promise<Permission> => {
    const api = browserNotifications();
    if (api === null) return "unsupported";
    const answer = await api.requestPermission();
    permissionChanged();
    return answer;
  }, []);

  const tell = useCallback(
    (toast: Toast) => {
      if (told.current.has(toast.key)) return;
      told.current.add(toast.key);
      setToasts((all) => [...all, toast].slice(-MAX_TOASTS));
      setHistory((all) => [toast, ...all].slice(0, HISTORY_KEPT));
      const api = browserNotifications();
      if (api !== null && api.permission === "granted" && document.visibilityState === "hidden") {
        const shown = new api(textOf(toast), { tag: toast.key });
        shown.onclick = () => {
          window.focus();
          router.push(`/lessons/${toast.lessonId}`);
          shown.close();
        };
      }
    },
    [router],
  );

  useEffect(() => {
    if (client === null || client.accessToken === null) return;
    if (following.current !== userId) {
      // Another person signed in: nothing of the last one's is known or said.
      following.current = userId;
      known.current = new Map();
      told.current = new Set();
      listed.current = false;
    }
    const toastFor = (
      lessonId: string,
      title: string,
      status: VideoStatus,
      version: number,
      error: string | null,
      visible: boolean,
    ) => {
      if (status !== "published" && status !== "errored") return;
      tell({
        key: `${lessonId}:${version}`,
        lessonId,
        title,
        kind: status === "published" ? "ready" : "failed",
        error,
        visible,
      });
    };
    return subscribeToMe(client, {
      onLessons: (lessons) => {
        // The first listing is how things were when the app opened: nothing to announce. A
        // later one (after a reconnect) may carry what changed while the stream was down.
        const first = !listed.current;
        listed.current = true;
        for (const lesson of lessons) {
          revised(lesson.lessonId, lesson.revision);
          const before = known.current.get(lesson.lessonId);
          if (before && before.version >= lesson.videoVersion) continue;
          known.current.set(lesson.lessonId, {
            courseId: lesson.courseId,
            status: lesson.status,
            version: lesson.videoVersion,
          });
          if (!first && before && before.status !== lesson.status) {
            const visible = lesson.visibility === "public" && lesson.courseVisibility === "public";
            const { lessonId, title, status, videoVersion } = lesson;
            toastFor(lessonId, title, status, videoVersion, null, visible);
          }
        }
        if (!first) changed(); // a reconnect: whatever changed meanwhile
        else recount();
      },
      onVideo: (video) => {
        revised(video.lessonId, video.revision); // edited elsewhere: sent with the same version
        const before = known.current.get(video.lessonId);
        if (before && before.version >= video.videoVersion) return;
        known.current.set(video.lessonId, {
          courseId: video.courseId,
          status: video.status,
          version: video.videoVersion,
          playbackId: video.playbackId,
        });
        if (before?.status !== video.status) {
          changed();
          settle(video.lessonId, video.status); // "…Mux is processing it" is no longer true
          // Back to the video it already had (a replacement cancelled): nothing new is ready.
          const same = before?.playbackId !== undefined && before.playbackId === video.playbackId;
          if (!(video.status === "published" && same)) {
            toastFor(
              video.lessonId,
              video.title,
              video.status,
              video.videoVersion,
              video.error,
              video.visibleToLearners,
            );
          }
        }
      },
      // A course renamed, described, published elsewhere: pages showing it read again.
      onCourse: (course) => {
        setCourses((all) => ({ ...all, [course.courseId]: course }));
        changed();
      },
      onRemoved: (lessonId) => {
        known.current.delete(lessonId);
        changed();
        // A deleted lesson's toast would lead nowhere.
        setToasts((all) => all.filter((toast) => toast.lessonId !== lessonId));
      },
    });
  }, [client, tell, userId, changed, recount, settle, revised]);

  // A success goes by itself (paused while the pointer or focus is on the notifications); a
  // failure stays until dismissed. They never cover the focused control.
  const expire = useCallback(
    (key: string) => setToasts((all) => all.filter((toast) => toast.key !== key)),
    [],
  );
  const lasting = useCallback((toast: Toast) => toast.kind === "failed", []);
  const timing = useAutoDismiss(toasts, lasting, expire);
  const box = useRef<HTMLElement>(null);
  const placement = useClearOfFocus(box);
  const holdWhileUsed = useCallback(() => {
    const section = box.current;
    if (section === null) return;
    const used = section.matches(":hover") || section.contains(document.activeElement);
    // Nor while the tab is hidden: the author has not seen them yet.
    if (used || document.visibilityState === "hidden") timing.pause();
    else timing.resume();
  }, [timing]);
  useEffect(() => {
    document.addEventListener("visibilitychange", holdWhileUsed);
    return () => document.removeEventListener("visibilitychange", holdWhileUsed);
  }, [holdWhileUsed]);
  useEffect(holdWhileUsed, [toasts, holdWhileUsed]); // a toast arriving in a hidden tab waits

  const dismiss = (key: string) => {
    const buttons = Array.from(
      region.current?.querySelectorAll<HTMLButtonElement>("button[data-dismiss]") ?? [],
    );
    const index = buttons.findIndex((button) => button.dataset.dismiss === key);
    const next = buttons[index + 1] ?? buttons[index - 1] ?? null;
    setToasts((all) => all.filter((toast) => toast.key !== key));
    // Focus stays in the notifications, or returns to the page, never to the document body.
    if (next) next.focus();
    else document.getElementById("main")?.focus();
  };

  return (
    <PermissionContext.Provider value={{ permission, request }}>
      <VideoChangesContext.Provider value={changes}>
        <UploadingContext.Provider value={uploading}>
          <HistoryContext.Provider value={history}>
            <CoursesContext.Provider value={courses}>
              <LessonRevisionsContext.Provider value={revisions}>
                {children}
              </LessonRevisionsContext.Provider>
            </CoursesContext.Provider>
          </HistoryContext.Provider>
        </UploadingContext.Provider>
      </VideoChangesContext.Provider>
      <section
        className={`toasts toasts-${placement}`}
        aria-label="Notifications"
        ref={box}
        onMouseEnter={timing.pause}
        onMouseLeave={holdWhileUsed}
        onFocus={timing.pause}
        onBlur={() => requestAnimationFrame(holdWhileUsed)}
      >
        <div ref={region} aria-live="polite" aria-relevant="additions text" data-testid="toasts">
          {toasts.map((toast) => (
            <div
              key={toast.key}
              className={`toast toast-${toast.kind}`}
              data-testid="toast"
              data-toast-lesson={toast.lessonId}
              data-kind={toast.kind}
            >
              <p>
                «<Link href={`/lessons/${toast.lessonId}`}>{toast.title}</Link>»{" "}
                {toast.kind === "ready"
                  ? readyText(toast)
                  : `failed: ${toast.error ?? "Mux gave no reason"}.`}
              </p>
              <button
                type="button"
                className="toast-dismiss"
                data-dismiss={toast.key}
                aria-label={`Dismiss the notification about «${toast.title}»`}
                onClick={() => dismiss(toast.key)}
              >
                ×
              </button>
            </div>
          ))}
        </div>
      </section>
    </PermissionContext.Provider>
  );
}

/** A number that moves (at most every CHANGES_COALESCE_MS) when the signed-in author's
 * lessons change: a video's status, a lesson added or deleted, in any tab or by Mux. */
export function useVideoChanges(): number {
  return useContext(VideoChangesContext);
}

/** The signed-in author's lessons whose video is `uploading`, with their course. */
export function useUploadingLessons(): UploadingLesson[] {
  return useContext(UploadingContext);
}

/** The course as its stream last sent it, when that is newer than `course` (a page's own
 * reading): renamed or described in another tab, shown at once. */
export function useCurrentCourse<T extends CourseFields>(course: T): T {
  const sent = useContext(CoursesContext)[course.courseId];
  return sent !== undefined && sent.revision >= course.revision ? { ...course, ...sent } : course;
}

/** One of the author's lessons' title as their stream last sent it (null: not known). */
export function useLessonRevision(lessonId: string): number | null {
  return useContext(LessonRevisionsContext)[lessonId] ?? null;
}

/** Every notification of this session, newest first (kept after its toast has gone). */
export function useNotificationHistory(): Toast[] {
  return useContext(HistoryContext);
}

/** Whether browser notifications are allowed, and a way to ask. */
export function useNotificationPermission() {
  return useContext(PermissionContext);
}
