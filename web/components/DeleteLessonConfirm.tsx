"use client";

import { useEffect, useRef, useState } from "react";

/** "Delete «Lesson»?" in the lesson's row, focused when it opens. */
export function DeleteLessonConfirm({
  title,
  hasVideo,
  onConfirm,
  onKeep,
}: {
  title: string;
  hasVideo: boolean;
  onConfirm: () => Promise<void>;
  onKeep: () => void;
}) {
  const question = useRef<HTMLParagraphElement>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => question.current?.focus(), []);
  return (
    <div className="confirm row-panel" data-testid="confirm-delete-lesson">
      <p tabIndex={-1} ref={question}>
        Delete «{title}»?{" "}
        {hasVideo ? "Its video is deleted at Mux too. " : ""}This cannot be undone.
      </p>
      <div className="form-actions">
        <button
          type="button"
          className="button button-danger"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            await onConfirm();
            setBusy(false);
          }}
        >
          Delete the lesson
        </button>
        <button type="button" className="button button-secondary" onClick={onKeep}>
          Keep it
        </button>
      </div>
    </div>
  );
}
