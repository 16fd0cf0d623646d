"use client";

import dynamic from "next/dynamic";
import {
  useCallback,
  useEffect,
  useImperativeHandle,
  useRef,
  useState,
  type Ref,
} from "react";

import { LiveRegion } from "@/components/LiveRegion";
import { useRuntimeConfig } from "@/components/RuntimeConfig";
import { ApiError, cancelUpload, createUpload, type ServiceClient } from "@/lib/api";
import { useLeaveGuard } from "@/lib/leaveGuard";

const MuxUploader = dynamic(() => import("@mux/mux-uploader-react"), {
  ssr: false,
  loading: () => <div className="uploader-placeholder">Loading uploader…</div>,
});

export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.retryAfterSeconds !== null && !/try again/i.test(error.message)) {
      return `${error.message} (You can try again in ${error.retryAfterSeconds} s.)`;
    }
    return error.message;
  }
  return "Something went wrong. Try again.";
}

export type UploadPhase =
  | { name: "idle" }
  | { name: "uploading"; percent: number; file: string }
  | { name: "sent"; file: string }
  | { name: "failed"; message: string };

/** What a page can do with the upload running in this browser. */
export interface UploaderHandle {
  /** Stops the upload this browser is sending (UpChunk's `abort()`), and shows the file
   * picker again. True when an upload was running. */
  stop: () => boolean;
  /** After a finished upload (the video failed at Mux, or was removed): offer the file
   * picker again. Does nothing while a file is going up. */
  ready: () => void;
  /** Focus the "Choose a video file" button. */
  focus: () => void;
}

/** `<mux-uploader>` as this component uses it: the running UpChunk upload is `.upload`. */
interface UploaderElement extends HTMLElement {
  endpoint?: unknown;
  upload?: { abort: () => void };
}

export const LEAVE_WHILE_UPLOADING =
  "A video is still uploading. If you leave this page the upload stops and is cancelled. Leave anyway?";

/**
 * MuxUploader whose endpoint asks the service for a direct-upload URL. The service ties the
 * upload to the lesson before answering, so nothing else needs to be reported back: the live
 * status stream shows `uploading`, `processing` and `published` as Mux works.
 *
 * `file`: upload this file as soon as the uploader is ready (a new lesson's form chose it).
 * While a file is going up, leaving the page asks first; leaving anyway (an in-app link)
 * stops the upload and cancels it at the service, so the lesson is not left `uploading`.
 */
export function VideoUploader({
  client,
  lessonId,
  file,
  compact = false,
  autoFocus = false,
  onPhase,
  ref,
}: {
  client: ServiceClient;
  lessonId: string;
  file?: File;
  compact?: boolean;
  autoFocus?: boolean;
  onPhase?: (phase: UploadPhase) => void;
  ref?: Ref<UploaderHandle>;
}) {
  const { uploadChunkSizeKb } = useRuntimeConfig();
  const [phase, setPhaseState] = useState<UploadPhase>({ name: "idle" });
  const current = useRef<UploadPhase>(phase);
  const chooser = useRef<HTMLButtonElement | null>(null);
  const progress = useRef<HTMLDivElement>(null);
  const focusWanted = useRef(autoFocus);
  const started = useRef(false);
  const onPhaseRef = useRef(onPhase);
  const uploader = useRef<UploaderElement | null>(null);
  const target = useRef({ client, lessonId });
  useEffect(() => {
    onPhaseRef.current = onPhase;
    target.current = { client, lessonId };
  });

  const setPhase = useCallback((next: UploadPhase | ((now: UploadPhase) => UploadPhase)) => {
    const value = typeof next === "function" ? next(current.current) : next;
    current.current = value;
    setPhaseState(value);
    onPhaseRef.current?.(value);
  }, []);

  useLeaveGuard(phase.name === "uploading", LEAVE_WHILE_UPLOADING);

  const stop = useCallback(() => {
    const running = current.current.name === "uploading";
    uploader.current?.upload?.abort();
    uploader.current?.dispatchEvent(new CustomEvent("reset")); // back to the file picker
    setPhase({ name: "idle" });
    return running;
  }, [setPhase]);

  const ready = useCallback(() => {
    if (current.current.name === "uploading" || current.current.name === "idle") return;
    uploader.current?.dispatchEvent(new CustomEvent("reset"));
    setPhase({ name: "idle" });
  }, [setPhase]);

  useImperativeHandle(
    ref,
    () => ({ stop, ready, focus: () => chooser.current?.focus() }),
    [stop, ready],
  );

  // Leaving the page while the file is going up (the author agreed): stop it and cancel it.
  // Only on unmount: a refreshed token (a new client) must not stop anything.
  useEffect(
    () => () => {
      if (current.current.name !== "uploading") return;
      uploader.current?.upload?.abort();
      cancelUpload(target.current.client, target.current.lessonId).catch(() => undefined);
    },
    [],
  );

  const endpoint = useCallback(
    async (chosen?: File) => {
      setPhase({ name: "uploading", percent: 0, file: chosen?.name ?? "your video" });
      try {
        return (await createUpload(client, lessonId)).url;
      } catch (error) {
        const message = describeError(error);
        setPhase({ name: "failed", message });
        throw new Error(message);
      }
    },
    [client, lessonId, setPhase],
  );

  // Start the given file once MuxUploader is in the page and has its endpoint (it sets it in
  // an effect after mounting): the file goes through the same endpoint as a chosen one.
  const attach = useCallback(
    (button: HTMLButtonElement | null) => {
      chooser.current = button;
      if (button === null) return;
      uploader.current = button.parentElement as UploaderElement | null;
      if (focusWanted.current) {
        focusWanted.current = false;
        button.focus();
      }
      if (!file || started.current) return;
      started.current = true;
      const start = (tries: number) => {
        const element = uploader.current;
        if (element && typeof element.endpoint === "function") {
          element.dispatchEvent(new CustomEvent("file-ready", { detail: file }));
        } else if (tries > 0) {
          requestAnimationFrame(() => start(tries - 1));
        } else {
          setPhase({ name: "failed", message: "The uploader did not start. Reload the page." });
        }
      };
      start(300);
    },
    [file, setPhase],
  );

  // After a file is chosen its picker is hidden: keep focus on the upload's progress.
  const uploading = phase.name === "uploading";
  useEffect(() => {
    if (!uploading) return;
    const active = document.activeElement;
    if (active === null || active === document.body || active === chooser.current) {
      progress.current?.focus();
    }
  }, [uploading]);

  const fileName = phase.name === "uploading" || phase.name === "sent" ? phase.file : null;

  return (
    <div className={compact ? "uploader uploader-compact" : "uploader"} data-testid="uploader">
      <MuxUploader
        endpoint={endpoint}
        chunkSize={uploadChunkSizeKb ?? undefined}
        noDrop={compact}
        noProgress
        noStatus
        onProgress={(event) => {
          // MuxUploader's progress event carries the percentage as its detail.
          const percent = Math.round((event as CustomEvent<number>).detail);
          setPhase((now) =>
            now.name === "uploading" ? { ...now, percent } : now,
          );
        }}
        onSuccess={() =>
          setPhase((now) => ({ name: "sent", file: now.name === "uploading" ? now.file : "" }))
        }
        onUploadError={(event) =>
          setPhase((now) =>
            now.name === "failed"
              ? now
              : { name: "failed", message: `The upload failed: ${event.detail.message}` },
          )
        }
      >
        <button slot="file-select" type="button" className="button" ref={attach}>
          Choose a video file
        </button>
      </MuxUploader>
      {phase.name === "uploading" && (
        <div className="upload-progress" data-testid="upload-progress" tabIndex={-1} ref={progress}>
          <progress max={100} value={phase.percent} aria-label={`Uploading ${phase.file}`} />
          <span>{phase.percent}%</span>
        </div>
      )}
      <LiveRegion>
        {fileName !== null && (
          <p className="upload-message" data-testid="upload-message">
            {phase.name === "uploading" ? `Uploading ${fileName}…` : `${fileName} is uploaded.`}
          </p>
        )}
      </LiveRegion>
      <LiveRegion urgent>
        {phase.name === "failed" && (
          <p className="notice notice-error" data-testid="upload-error">
            {phase.message}
          </p>
        )}
      </LiveRegion>
    </div>
  );
}
