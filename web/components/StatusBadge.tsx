import type { VideoStatus } from "@/lib/api";

const LABELS: Record<VideoStatus, string> = {
  draft: "No video yet",
  uploading: "Uploading",
  processing: "Processing",
  published: "Published",
  errored: "Failed",
  cancelled: "Cancelled",
};

export function StatusBadge({ status }: { status: VideoStatus }) {
  return (
    <span className={`badge badge-${status}`} data-testid="status" data-status={status}>
      <span className="badge-code">{status}</span>
      <span className="badge-label"> · {LABELS[status]}</span>
    </span>
  );
}
