"use client";

import Link from "next/link";
import { useState } from "react";

import { LiveRegion } from "@/components/LiveRegion";
import { describeError } from "@/lib/describeError";
import { useUploadManager, useUploads } from "@/lib/hooks/useUploads";
import type { Upload } from "@/lib/uploads/manager";

/**
 * The uploads of this tab on every page, compact: each lesson's file, its progress and
 * "Cancel upload"; a sent one says so for a few seconds, a failed one stays until dismissed.
 * Nothing is shown while nothing is going up.
 */
export function UploadTray() {
  const uploads = useUploads();
  return (
    <section
      className={uploads.length > 0 ? "upload-tray" : "upload-tray upload-tray-empty"}
      aria-label="Uploads"
      data-testid="upload-tray"
    >
      {uploads.length > 0 && (
        <ul>
          {uploads.map((upload) => (
            <TrayItem key={upload.lessonId} upload={upload} />
          ))}
        </ul>
      )}
    </section>
  );
}

function TrayItem({ upload }: { upload: Upload }) {
  const manager = useUploadManager();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const going = upload.phase === "starting" || upload.phase === "uploading";
  return (
    <li className="upload-tray-item" data-upload-lesson={upload.lessonId} data-phase={upload.phase}>
      <span className="upload-tray-text">
        <Link href={`/lessons/${upload.lessonId}`}>{upload.title}</Link>{" "}
        <span className="muted">{upload.fileName}</span>
      </span>
      {going && (
        <>
          <progress
            max={100}
            value={upload.percent}
            aria-label={`Uploading ${upload.fileName} to «${upload.title}»`}
          />
          <span className="upload-tray-percent">{upload.percent}%</span>
          <button
            type="button"
            className="button button-secondary button-small"
            disabled={busy}
            aria-label={`Cancel upload of «${upload.title}»`}
            onClick={async () => {
              setBusy(true);
              setError(null);
              try {
                await manager.cancel(upload.lessonId);
              } catch (failure) {
                setError(describeError(failure));
              } finally {
                setBusy(false);
              }
              document.getElementById("main")?.focus();
            }}
          >
            Cancel upload
          </button>
        </>
      )}
      {upload.phase === "sent" && <span>Uploaded. Mux is processing it.</span>}
      {upload.phase === "failed" && (
        <>
          <span className="upload-tray-failed">{upload.message}</span>
          <button
            type="button"
            className="button button-secondary button-small"
            aria-label={`Dismiss the failed upload of «${upload.title}»`}
            onClick={() => {
              manager.dismiss(upload.lessonId);
              document.getElementById("main")?.focus();
            }}
          >
            Dismiss
          </button>
        </>
      )}
      <LiveRegion urgent>{error && <span className="upload-tray-failed">{error}</span>}</LiveRegion>
    </li>
  );
}
