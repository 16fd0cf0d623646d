"use client";

import type { LessonVideo } from "@/lib/api/types";
import { useUploadInterrupted } from "@/lib/hooks/useSendingHere";

/**
 * An `uploading` lesson whose file no tab of this browser is sending (the tab that sent it
 * closed, the browser stopped): said so, instead of an endless "Uploading", with "Upload
 * again" (the page's "Cancel upload" gives it up).
 */
export function UploadInterrupted({
  video,
  onUploadAgain,
}: {
  video: LessonVideo;
  onUploadAgain: () => void;
}) {
  const interrupted = useUploadInterrupted(video.lessonId, video.status);
  return (
    <div className="live" role="status" aria-live="polite">
      {interrupted && (
        <div className="notice notice-warning interrupted" data-testid="upload-interrupted">
          <p>
            <strong>Upload interrupted.</strong> This browser is not sending the file (the tab
            that was uploading it closed, or the browser stopped). Upload it again, or cancel the
            upload.
          </p>
          <button type="button" className="button button-small" onClick={onUploadAgain}>
            Upload again
          </button>
        </div>
      )}
    </div>
  );
}
