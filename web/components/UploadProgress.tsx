"use client";

import { useUpload } from "@/lib/hooks/useUploads";

/** The lesson's file going up from this tab, in one line (a lesson's row): its progress. */
export function UploadProgress({ lessonId }: { lessonId: string }) {
  const upload = useUpload(lessonId);
  if (upload === null || (upload.phase !== "starting" && upload.phase !== "uploading")) return null;
  return (
    <span className="row-upload" data-testid="row-upload">
      <progress max={100} value={upload.percent} aria-label={`Uploading ${upload.fileName}`} />
      <span aria-hidden="true">{upload.percent}%</span>
    </span>
  );
}
