"use client";

import type { RefObject } from "react";

import { VideoActions } from "@/components/VideoActions";
import { VideoUploader, type UploaderHandle } from "@/components/VideoUploader";
import { removeVideo } from "@/lib/api/rest";
import type { LessonVideo, ServiceClient } from "@/lib/api/types";
import type { useActionMessage } from "@/lib/hooks/useActionMessage";
import type { LiveVideo } from "@/lib/hooks/useLiveVideo";
import { useUploadManager } from "@/lib/hooks/useUploads";

/**
 * The author's controls for the lesson's video: the uploader (a first video, a replacement, or
 * the upload in flight), "Keep the current video" while replacing, Replace, Cancel upload and
 * Remove video, and what the last of them did.
 */
export function LessonVideoControls({
  client,
  title,
  video,
  live,
  replacing,
  uploadingHere,
  showUploader,
  setReplacingFrom,
  uploader,
  replaceButton,
  message,
}: {
  client: ServiceClient;
  title: string;
  video: LessonVideo;
  live: LiveVideo;
  replacing: boolean;
  uploadingHere: boolean;
  showUploader: boolean;
  /** The playback id being replaced (the form stays open until a new one arrives), or null. */
  setReplacingFrom: (playbackId: string | null) => void;
  uploader: RefObject<UploaderHandle | null>;
  replaceButton: RefObject<HTMLButtonElement | null>;
  message: ReturnType<typeof useActionMessage>;
}) {
  // The lesson's file going up from this tab (started on any page): the manager's.
  const uploads = useUploadManager();
  const { said, tell, ref: saidRef } = message;
  return (
    <section className="video-controls" aria-label="Video">
      {replacing && (
        <p className="muted">
          The current video keeps playing until the new one is published.{" "}
          <button
            type="button"
            className="link"
            onClick={() => {
              // A replacement already going up is given up properly: not left uploading.
              if (uploadingHere) {
                uploads.cancel(video.lessonId).then(live.replace, () => undefined);
              }
              setReplacingFrom(null);
              requestAnimationFrame(() => replaceButton.current?.focus());
            }}
          >
            Keep the current video
          </button>
        </p>
      )}
      {showUploader && (
        <VideoUploader lessonId={video.lessonId} title={title} ref={uploader} autoFocus={replacing} />
      )}
      <VideoActions
        video={video}
        replacing={replacing}
        uploadingHere={uploadingHere}
        replace={
          video.playbackId && !replacing ? (
            <button
              type="button"
              className="button"
              data-testid="replace-video"
              ref={replaceButton}
              onClick={() => {
                message.clear();
                setReplacingFrom(video.playbackId);
              }}
            >
              Replace video
            </button>
          ) : null
        }
        onCancel={async () => {
          // The manager stops what this browser is sending first (otherwise its next
          // chunk meets a cancelled upload), then the service cancels it.
          const next = await uploads.cancel(video.lessonId);
          live.replace(next);
          setReplacingFrom(null);
          tell(
            next.playbackId
              ? "Upload cancelled. The lesson keeps the video it had before."
              : "Upload cancelled. The lesson has no video yet; choose a file to upload.",
          );
        }}
        onRemove={async () => {
          live.replace(await removeVideo(client, video.lessonId));
          tell("Video removed. Mux deletes its file; choose another file to upload.");
        }}
      />
      <div className="live" role="status" aria-live="polite">
        {said && (
          <p
            className={`notice notice-${said.tone}`}
            data-testid="action-message"
            tabIndex={-1}
            ref={saidRef}
          >
            {said.text}
          </p>
        )}
      </div>
    </section>
  );
}
