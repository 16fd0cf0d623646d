import type { VideoStatus } from "@/lib/api";

/** What each status means to an author, in one human label. */
export const STATUS_LABELS: Record<VideoStatus, string> = {
  draft: "No video yet",
  uploading: "Uploading",
  processing: "Processing",
  published: "Published",
  errored: "Failed",
  cancelled: "Upload cancelled",
};

/** An author's status pill: the label for people, the status code in `data-status`. */
export function StatusBadge({ status }: { status: VideoStatus }) {
  return (
    <span className={`badge badge-${status}`} data-testid="status" data-status={status}>
      {STATUS_LABELS[status]}
    </span>
  );
}
