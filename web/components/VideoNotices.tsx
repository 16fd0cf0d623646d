"use client";

import { useEffect, useRef } from "react";

import { LiveRegion } from "@/components/LiveRegion";
import type { LessonVideo } from "@/lib/api/types";
import { lostFocus } from "@/lib/focus";
import type { LiveVideo } from "@/lib/hooks/useLiveVideo";

/** What the author's lesson page says of the video's state: processing, ready (and whether
 * learners see it), failed at Mux with its message, or cancelled. */
export function VideoNotices({
  video,
  live,
  visibleToLearners,
}: {
  video: LessonVideo;
  live: LiveVideo;
  visibleToLearners: boolean;
}) {
  // The uploader (and the progress focus was on) goes when the video moves on: focus goes
  // to what the page now says about it.
  const said = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (lostFocus()) said.current?.focus();
  }, [video.status]);
  let notice: { tone: string; text: string } | null = null;
  switch (video.status) {
    case "processing":
      notice = {
        tone: "info",
        text: "Your video is processing. You will be told here when it is ready.",
      };
      break;
    case "published":
      if (live.changedTo === "published") {
        notice = {
          tone: "success",
          text: visibleToLearners
            ? "Your video is ready and now visible to learners."
            : "Your video is ready. Learners see it once the lesson and its course are public.",
        };
      }
      break;
    case "errored":
      notice = {
        tone: "error",
        text: `Mux could not process this video: ${video.error ?? "no reason given"}. Upload another file.`,
      };
      break;
    case "cancelled":
      notice = {
        tone: "warning",
        text: "The upload was cancelled or timed out before it finished. Upload the video again.",
      };
      break;
  }
  return (
    <LiveRegion urgent={video.status === "errored"}>
      {notice && (
        <p className={`notice notice-${notice.tone}`} data-testid="notice" tabIndex={-1} ref={said}>
          {notice.text}
        </p>
      )}
    </LiveRegion>
  );
}
