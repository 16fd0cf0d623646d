"use client";

import dynamic from "next/dynamic";
import { useCallback, useEffect, useImperativeHandle, useRef, useState, type Ref } from "react";

import { LiveRegion } from "@/components/LiveRegion";
import { lostFocus } from "@/lib/focus";
import { useUpload, useUploadManager } from "@/lib/hooks/useUploads";
import type { Upload } from "@/lib/uploads/manager";

const MuxUploader = dynamic(() => import("@mux/mux-uploader-react"), {
  ssr: false,
  loading: () => <div className="uploader-placeholder">Loading uploader…</div>,
});

export type UploadPhase =
  | { name: "idle" }
  | { name: "uploading"; percent: number; file: string }
  | { name: "sent"; file: string }
  | { name: "failed"; message: string };

/** What a page can do with the lesson's upload. */
export interface UploaderHandle {
  /** Stops the upload this browser is sending, without telling the service, and shows the
   * file picker again. True when an upload was running. */
  stop: () => boolean;
  /** After a finished upload (the video failed at Mux, or was removed): offer the file
   * picker again. Does nothing while a file is going up. */
  ready: () => void;
  /** Focus the "Choose a video file" button. */
  focus: () => void;
}

function phaseOf(upload: Upload | null): UploadPhase {
  if (upload === null) return { name: "idle" };
  switch (upload.phase) {
    case "starting":
    case "uploading":
      return { name: "uploading", percent: upload.percent, file: upload.fileName };
    case "sent":
      return { name: "sent", file: upload.fileName };
    case "failed":
      return { name: "failed", message: upload.message ?? "The upload failed." };
  }
}

/**
 * The lesson's video file: MuxUploader's file picker and drop area choose it, and the app's
 * upload manager (`lib/uploads/manager.ts`, in the root layout) sends it, so the upload goes
 * on wherever the author goes in the app. An empty file or one that is not a video is refused
 * here, before anything is asked of the service. While the lesson's file goes up this shows
 * its progress; a failure shows why, with Retry.
 */
export function VideoUploader({
  lessonId,
  title,
  compact = false,
  autoFocus = false,
  onPhase,
  ref,
}: {
  lessonId: string;
  /** The lesson's title, for the uploads tray. */
  title: string;
  compact?: boolean;
  autoFocus?: boolean;
  onPhase?: (phase: UploadPhase) => void;
  ref?: Ref<UploaderHandle>;
}) {
  const manager = useUploadManager();
  const upload = useUpload(lessonId);
  const phase = phaseOf(upload);
  const [refused, setRefused] = useState<string | null>(null);
  const chooser = useRef<HTMLButtonElement | null>(null);
  const progress = useRef<HTMLDivElement>(null);
  const focusWanted = useRef(autoFocus);
  const [lastFile, setLastFile] = useState<File | null>(null);
  const target = useRef({ lessonId, title });
  const onPhaseRef = useRef(onPhase);
  useEffect(() => {
    target.current = { lessonId, title };
    onPhaseRef.current = onPhase;
  });

  const phaseKey = JSON.stringify(phase);
  useEffect(() => {
    onPhaseRef.current?.(JSON.parse(phaseKey) as UploadPhase);
  }, [phaseKey]);

  const send = useCallback(
    (file: File) => {
      setLastFile(file);
      const refusal = manager.start(target.current, file);
      setRefused(refusal);
      if (refusal === null) focusWanted.current = false;
    },
    [manager, setLastFile, setRefused],
  );

  const stop = useCallback(() => manager.abort(lessonId), [manager, lessonId]);
  const ready = useCallback(() => {
    const now = manager.of(lessonId);
    if (now !== null && (now.phase === "starting" || now.phase === "uploading")) return;
    manager.dismiss(lessonId);
    setRefused(null);
  }, [manager, lessonId, setRefused]);

  // "Choose a video file" focused on request ("Upload again"): when the uploader's code is
  // still loading, as soon as its button is there; when the button cannot take focus yet, at
  // the next frames (for up to 2 s), unless the author has moved on meanwhile.
  const focus = useCallback(() => {
    const from = document.activeElement;
    const until = performance.now() + 2_000;
    const attempt = () => {
      const button = chooser.current;
      if (button === null) {
        focusWanted.current = true; // taken when the button is attached
        return;
      }
      button.focus();
      const moved = document.activeElement !== from && document.activeElement !== document.body;
      if (document.activeElement !== button && !moved && performance.now() < until) {
        requestAnimationFrame(attempt);
      }
    };
    attempt();
  }, []);

  useImperativeHandle(ref, () => ({ stop, ready, focus }), [stop, ready, focus]);

  // MuxUploader would upload the chosen (or dropped) file itself, tied to this page: its
  // `file-ready` is taken first (a capturing listener runs before its own, on its element)
  // and the file handed to the manager instead.
  const attach = useCallback(
    (button: HTMLButtonElement | null) => {
      chooser.current = button;
      const element = button?.parentElement ?? null;
      if (button === null || element === null) return;
      if (focusWanted.current) {
        focusWanted.current = false;
        button.focus();
      }
      const take = (event: Event) => {
        event.stopImmediatePropagation();
        const file = (event as CustomEvent<File | undefined>).detail;
        const input = element.shadowRoot?.querySelector<HTMLInputElement>("#hidden-file-input");
        if (input) input.value = ""; // the same file may be chosen again
        element.removeAttribute("file-ready");
        if (file) send(file);
      };
      element.addEventListener("file-ready", take, { capture: true });
    },
    [send],
  );

  // Once the file is going up its picker is hidden: keep focus on the upload's progress.
  const uploading = phase.name === "uploading";
  useEffect(() => {
    if (!uploading) return;
    const active = document.activeElement;
    if (active === null || active === document.body || active === chooser.current) {
      progress.current?.focus();
    }
  }, [uploading]);

  // When it ends, focus goes to what it came to (the progress it was on is gone).
  const result = useRef<HTMLElement | null>(null);
  const ended = phase.name === "sent" || phase.name === "failed";
  useEffect(() => {
    if (ended && lostFocus()) result.current?.focus();
  }, [ended]);

  const fileName = phase.name === "uploading" || phase.name === "sent" ? phase.file : null;

  return (
    <div className={compact ? "uploader uploader-compact" : "uploader"} data-testid="uploader">
      {!uploading && (
        <MuxUploader noDrop={compact} noProgress noStatus noRetry>
          <button slot="file-select" type="button" className="button" ref={attach}>
            Choose a video file
          </button>
        </MuxUploader>
      )}
      {phase.name === "uploading" && (
        <div className="upload-progress" data-testid="upload-progress" tabIndex={-1} ref={progress}>
          <progress max={100} value={phase.percent} aria-label={`Uploading ${phase.file}`} />
          <span>{phase.percent}%</span>
        </div>
      )}
      <LiveRegion>
        {fileName !== null && (
          <p
            className="upload-message"
            data-testid="upload-message"
            tabIndex={-1}
            ref={phase.name === "sent" ? (node) => void (result.current = node) : undefined}
          >
            {phase.name === "uploading" ? `Uploading ${fileName}…` : `${fileName} is uploaded.`}
          </p>
        )}
      </LiveRegion>
      <LiveRegion urgent>
        {refused !== null && (
          <p className="notice notice-error" data-testid="upload-refused">
            {refused}
          </p>
        )}
        {phase.name === "failed" && (
          <div
            className="notice notice-error"
            data-testid="upload-error"
            tabIndex={-1}
            ref={(node) => void (result.current = node)}
          >
            <p>{phase.message}</p>
            {lastFile !== null && (
              <button
                type="button"
                className="button button-secondary button-small"
                onClick={() => send(lastFile)}
              >
                Retry
              </button>
            )}
          </div>
        )}
      </LiveRegion>
    </div>
  );
}
