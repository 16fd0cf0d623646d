"use client";

import dynamic from "next/dynamic";
import { useCallback, useState } from "react";

import { useRuntimeConfig } from "@/components/RuntimeConfig";
import { ApiError, createUpload, type ServiceClient } from "@/lib/api";

const MuxUploader = dynamic(() => import("@mux/mux-uploader-react"), {
  ssr: false,
  loading: () => <div className="uploader-placeholder">Loading uploader…</div>,
});

export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.retryAfterSeconds !== null && !/try again/i.test(error.message)) {
      return `${error.message} (You can try again in ${error.retryAfterSeconds} s.)`;
    }
    return error.message;
  }
  return "Something went wrong. Try again.";
}

type Phase =
  | { name: "idle" }
  | { name: "uploading"; percent: number }
  | { name: "sent" }
  | { name: "failed"; message: string };

/**
 * MuxUploader whose endpoint asks the service for a direct-upload URL. The service ties the
 * upload to the lesson before answering, so nothing else needs to be reported back: the live
 * status stream shows `uploading`, `processing` and `published` as Mux works.
 */
export function VideoUploader({ client, lessonId }: { client: ServiceClient; lessonId: string }) {
  const { uploadChunkSizeKb } = useRuntimeConfig();
  const [phase, setPhase] = useState<Phase>({ name: "idle" });

  const endpoint = useCallback(async () => {
    setPhase({ name: "uploading", percent: 0 });
    try {
      return (await createUpload(client, lessonId)).url;
    } catch (error) {
      const message = describeError(error);
      setPhase({ name: "failed", message });
      throw new Error(message);
    }
  }, [client, lessonId]);

  return (
    <div className="uploader" data-testid="uploader">
      <MuxUploader
        endpoint={endpoint}
        chunkSize={uploadChunkSizeKb ?? undefined}
        onProgress={(event) => {
          // MuxUploader's progress event carries the percentage as its detail.
          const percent = (event as CustomEvent<number>).detail;
          setPhase({ name: "uploading", percent: Math.round(percent) });
        }}
        onSuccess={() => setPhase({ name: "sent" })}
        onUploadError={(event) =>
          setPhase((current) =>
            current.name === "failed"
              ? current
              : { name: "failed", message: `The upload failed: ${event.detail.message}` },
          )
        }
      />
      {phase.name === "uploading" && (
        <p className="upload-progress" data-testid="upload-progress">
          Uploading… {phase.percent}%
        </p>
      )}
      {phase.name === "sent" && (
        <p className="upload-progress" data-testid="upload-progress">
          Upload complete. Mux is processing your video; you will be told here when it is ready.
        </p>
      )}
      {phase.name === "failed" && (
        <p className="notice notice-error" role="alert" data-testid="upload-error">
          {phase.message}
        </p>
      )}
    </div>
  );
}
