/**
 * The uploads of this browser tab, owned by the app rather than by a page: one manager for the
 * signed-in session (made by `UploadsProvider` in the root layout), so a file keeps going up
 * while the author moves anywhere inside the app, Back included. Several at once, one per
 * lesson. Nothing stops an upload except `cancel` (the author's Cancel), `stopAll` (sign-out,
 * another person signing in) and leaving the app (the browser tab is gone; the app asked first).
 *
 * Each upload asks the service for the lesson's Mux direct-upload URL (`POST /api/mux/upload`,
 * which ties the upload to the lesson before answering), then sends the file there in
 * resumable chunks with UpChunk, the library MuxUploader itself uploads with.
 */
import { ApiError } from "@/lib/api/apiError";
import { cancelUpload, createUpload } from "@/lib/api/rest";
import type { LessonVideo, ServiceClient } from "@/lib/api/types";
import { describeError } from "@/lib/describeError";
import { refusalOf } from "@/lib/uploads/checkFile";
import { markSending, unmarkSending } from "@/lib/uploads/sending";

export type UploadPhase = "starting" | "uploading" | "sent" | "failed";

export interface Upload {
  lessonId: string;
  /** The lesson's title when the upload started (for the tray and what is said). */
  title: string;
  fileName: string;
  phase: UploadPhase;
  percent: number;
  /** Why it failed, said to the author. */
  message: string | null;
  /** The lesson's video as the service answered the upload's creation (`uploading`), shown
   * at once rather than when the live stream next speaks; null before then. */
  issued: LessonVideo | null;
}

interface Running {
  abort: () => void;
}

/** UpChunk as this module uses it. */
interface ChunkUpload {
  on: (event: "progress" | "success" | "error", listener: (event: CustomEvent) => void) => void;
  abort: () => void;
}

/** How long a sent upload stays in the tray, saying it is at Mux, before it goes. */
export const SENT_SHOWN_MS = 8_000;
/** How long a sent file still counts as this browser's upload (see `sending.ts`). */
const SENT_MARK_MS = 120_000;

export class UploadManager {
  private uploads = new Map<string, Upload>();
  private running = new Map<string, Running>();
  private generations = new Map<string, number>();
  private listeners = new Set<() => void>();
  private snapshot: Upload[] = [];
  private client: ServiceClient | null = null;
  private chunkSizeKb: number | null = null;

  /** The service client to use from now on (a refreshed token gives a new one). */
  configure(client: ServiceClient | null, chunkSizeKb: number | null): void {
    this.client = client;
    this.chunkSizeKb = chunkSizeKb;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  /** Every upload of this tab, in the order they started (a stable array until one changes). */
  all = (): Upload[] => this.snapshot;

  of(lessonId: string): Upload | null {
    return this.uploads.get(lessonId) ?? null;
  }

  /** True while a file is being sent (or about to be): leaving the app would lose it. */
  busy(): boolean {
    return this.running.size > 0;
  }

  /**
   * Starts sending `file` as the lesson's video. A file the service would only turn into a
   * stuck upload (empty, or not a video) is refused here, before anything is asked of the
   * service: the refusal is returned, to be said next to the field.
   */
  start(lesson: { lessonId: string; title: string }, file: File): string | null {
    const refused = refusalOf(file);
    if (refused !== null) return refused;
    const client = this.client;
    if (client === null) return "You are not signed in.";
    const { lessonId } = lesson;
    if (this.running.has(lessonId)) return "A video is already uploading for this lesson.";
    let stopped = false;
    let upload: ChunkUpload | null = null;
    this.running.set(lessonId, {
      abort: () => {
        stopped = true;
        upload?.abort();
      },
    });
    this.generations.set(lessonId, (this.generations.get(lessonId) ?? 0) + 1);
    markSending(lessonId);
    this.put({
      lessonId,
      title: lesson.title,
      fileName: file.name,
      phase: "starting",
      percent: 0,
      message: null,
      issued: null,
    });
    void (async () => {
      try {
        const { url, video } = await createUpload(client, lessonId);
        const { UpChunk } = await import("@mux/upchunk");
        if (stopped) return;
        upload = UpChunk.createUpload({
          endpoint: url,
          file,
          chunkSize: this.chunkSizeKb ?? undefined,
        }) as ChunkUpload;
        this.update(lessonId, { phase: "uploading", issued: video ?? null });
        upload.on("progress", (event) => {
          const percent = Math.floor(Number(event.detail));
          this.update(lessonId, { percent: Number.isFinite(percent) ? percent : 0 });
        });
        upload.on("success", () => {
          // The file is at Mux, which says so by webhook in a moment: until the lesson moves
          // on from `uploading`, it is still this browser's upload, not an interrupted one.
          this.finish(lessonId, { markFor: SENT_MARK_MS });
          this.update(lessonId, { phase: "sent", percent: 100 });
          setTimeout(() => this.dismiss(lessonId), SENT_SHOWN_MS);
        });
        upload.on("error", (event) => {
          const detail = event.detail as { message?: string } | undefined;
          this.finish(lessonId);
          // The file will not arrive (UpChunk has given up): the service is told now rather
          // than leaving the lesson `uploading` until the stuck-upload repair.
          cancelUpload(client, lessonId).catch(() => undefined);
          this.update(lessonId, {
            phase: "failed",
            message: `The upload failed: ${detail?.message ?? "no reason given"}`,
          });
        });
      } catch (error) {
        if (stopped) return;
        this.finish(lessonId);
        this.update(lessonId, { phase: "failed", message: describeError(error) });
      }
    })();
    return null;
  }

  /**
   * The author's Cancel: this browser stops sending first (otherwise its next chunk meets a
   * cancelled upload), then the service cancels the upload at Mux. The lesson's video as it
   * is afterwards.
   */
  async cancel(lessonId: string): Promise<LessonVideo> {
    this.abort(lessonId);
    const client = this.client;
    if (client === null) throw new ApiError(401, "unauthorized", "You are not signed in.");
    const video = await cancelUpload(client, lessonId);
    this.dismiss(lessonId);
    return video;
  }

  /** Stops sending without asking the service anything (it is about to be told otherwise). */
  abort(lessonId: string): boolean {
    const running = this.running.get(lessonId);
    running?.abort();
    this.finish(lessonId);
    return running !== undefined;
  }

  /** Forget a finished or failed upload (the tray no longer shows it). */
  dismiss(lessonId: string): void {
    if (this.running.has(lessonId)) return;
    if (this.uploads.delete(lessonId)) this.changed();
  }

  /** Stops every upload: sign-out, or another person signed in. `cancelAtService`: tell the
   * service too (the tab is closing), with requests that outlive the page. */
  stopAll({ cancelAtService }: { cancelAtService: boolean }): void {
    const client = this.client;
    for (const lessonId of [...this.running.keys()]) {
      this.abort(lessonId);
      if (cancelAtService && client !== null) {
        cancelUpload(client, lessonId, { keepalive: true }).catch(() => undefined);
      }
    }
    this.uploads.clear();
    this.changed();
  }

  private finish(lessonId: string, { markFor = 0 }: { markFor?: number } = {}): void {
    this.running.delete(lessonId);
    if (markFor === 0) {
      unmarkSending(lessonId);
      return;
    }
    const generation = (this.generations.get(lessonId) ?? 0) + 1;
    this.generations.set(lessonId, generation);
    setTimeout(() => {
      // Unless another upload of the lesson started meanwhile.
      if (this.generations.get(lessonId) === generation && !this.running.has(lessonId)) {
        unmarkSending(lessonId);
      }
    }, markFor);
  }

  private put(upload: Upload): void {
    this.uploads.delete(upload.lessonId); // a new upload of the lesson goes to the end
    this.uploads.set(upload.lessonId, upload);
    this.changed();
  }

  private update(lessonId: string, change: Partial<Upload>): void {
    const now = this.uploads.get(lessonId);
    if (now === undefined) return;
    this.uploads.set(lessonId, { ...now, ...change });
    this.changed();
  }

  private changed(): void {
    this.snapshot = [...this.uploads.values()];
    this.listeners.forEach((listener) => listener());
  }
}
