"use client";

import { useEffect, useRef, useState, type ReactNode } from "react";

import { LiveRegion } from "@/components/LiveRegion";
import type { LessonVideo } from "@/lib/api/types";
import { describeError } from "@/lib/describeError";

/** The video's actions in one row: replace it, cancel the upload in flight, remove the video
 * (after confirming). */
export function VideoActions({
  video,
  replacing,
  uploadingHere,
  replace,
  onCancel,
  onRemove,
}: {
  video: LessonVideo;
  replacing: boolean;
  uploadingHere: boolean;
  replace: ReactNode;
  onCancel: () => Promise<void>;
  onRemove: () => Promise<void>;
}) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const question = useRef<HTMLParagraphElement>(null);
  const removeButton = useRef<HTMLButtonElement>(null);
  const kept = useRef(false);

  useEffect(() => {
    if (confirming) question.current?.focus();
    else if (kept.current) {
      kept.current = false;
      removeButton.current?.focus();
    }
  }, [confirming]);

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await action();
      setConfirming(false);
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  }

  const canCancel = video.status === "uploading" || uploadingHere;
  const canRemove = Boolean(video.playbackId) && !replacing && !canCancel;
  return (
    <>
      <div className="actions">
        {replace}
        {canCancel && (
          <button
            type="button"
            className="button button-secondary"
            data-testid="cancel-upload"
            disabled={busy}
            onClick={() => run(onCancel)}
          >
            Cancel upload
          </button>
        )}
        {canRemove && !confirming && (
          <button
            type="button"
            className="button button-secondary"
            data-testid="remove-video"
            ref={removeButton}
            disabled={busy}
            onClick={() => setConfirming(true)}
          >
            Remove video
          </button>
        )}
      </div>
      {canRemove && confirming && (
        <div className="confirm">
          <p tabIndex={-1} ref={question}>
            Remove this video from the lesson? Viewers will no longer see it, and its file is
            deleted at Mux.
          </p>
          <div className="form-actions">
            <button
              type="button"
              className="button button-danger"
              data-testid="confirm-remove"
              disabled={busy}
              onClick={() => run(onRemove)}
            >
              Yes, remove it
            </button>
            <button
              type="button"
              className="button button-secondary"
              onClick={() => {
                kept.current = true;
                setConfirming(false);
              }}
            >
              Keep it
            </button>
          </div>
        </div>
      )}
      <LiveRegion urgent>
        {error && (
          <p className="notice notice-error" data-testid="action-error">
            {error}
          </p>
        )}
      </LiveRegion>
    </>
  );
}
