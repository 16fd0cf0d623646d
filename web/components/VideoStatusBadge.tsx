"use client";

import { StatusBadge } from "@/components/StatusBadge";
import type { LessonVideo } from "@/lib/api/types";
import { useUploadInterrupted } from "@/lib/hooks/useSendingHere";

/** The author's status pill for a lesson's video, saying "Upload interrupted" for an upload
 * no tab of this browser is sending. */
export function VideoStatusBadge({ video }: { video: LessonVideo }) {
  const interrupted = useUploadInterrupted(video.lessonId, video.status);
  return <StatusBadge status={video.status} interrupted={interrupted} />;
}
