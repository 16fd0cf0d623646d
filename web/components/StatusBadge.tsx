import type { VideoStatus } from "@/lib/api/types";

/** What each status means to an author, in one human label. The video's state only: whether
 * learners may watch it is the lesson's and course's visibility ("Draft" / "Public"), so a
 * finished video says "Video ready", never "Published". */
export const STATUS_LABELS: Record<VideoStatus, string> = {
  draft: "No video yet",
  uploading: "Uploading",
  processing: "Processing",
  published: "Video ready",
  errored: "Failed",
  cancelled: "Upload cancelled",
};

/** An `uploading` lesson whose file no tab of this browser is sending (see
 * `lib/uploads/sending.ts`). */
export const INTERRUPTED_LABEL = "Upload interrupted";

/** An author's status pill: the label for people, the status code in `data-status`.
 * `interrupted`: an upload nothing here is sending. */
export function StatusBadge({
  status,
  interrupted = false,
}: {
  status: VideoStatus;
  interrupted?: boolean;
}) {
  return (
    <span
      className={interrupted ? "badge badge-interrupted" : `badge badge-${status}`}
      data-testid="status"
      data-status={status}
      data-interrupted={interrupted ? "true" : undefined}
    >
      {interrupted ? INTERRUPTED_LABEL : STATUS_LABELS[status]}
    </span>
  );
}
