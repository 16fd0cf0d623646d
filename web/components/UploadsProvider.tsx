"use client";

import { useEffect, useRef, useState, type ReactNode } from "react";

import type { ServiceClient } from "@/lib/api/types";
import { useAnnounce } from "@/lib/hooks/useAnnounce";
import { useLeaveGuard } from "@/lib/hooks/useLeaveGuard";
import { useRuntimeConfig } from "@/lib/hooks/useRuntimeConfig";
import { useServiceClient } from "@/lib/hooks/useServiceClient";
import { UploadsContext, useUploads } from "@/lib/hooks/useUploads";
import { UploadManager } from "@/lib/uploads/manager";

export const LEAVE_WHILE_UPLOADING =
  "A video is still uploading. If you leave the app the upload stops and is cancelled. Leave anyway?";

/**
 * The signed-in session's uploads, in the root layout: they go on across in-app navigation.
 * Leaving the app (closing the tab, reloading, another address, Back past its first page)
 * while one is running asks first; leaving anyway stops the browser's uploads and tells the
 * service to cancel them (requests that outlive the page), so the lessons do not wait an hour
 * for the stuck-upload repair. Another person signing in stops the last one's uploads.
 */
export function UploadsProvider({ children }: { children: ReactNode }) {
  const { client, session } = useServiceClient();
  const { uploadChunkSizeKb } = useRuntimeConfig();
  const [manager] = useState(() => new UploadManager());
  const userId = session.status === "signed-in" ? session.session.user.id : null;
  const owner = useRef<{ userId: string | null; client: ServiceClient | null }>({
    userId: null,
    client: null,
  });

  useEffect(() => {
    const before = owner.current;
    if (before.userId !== null && before.userId !== userId) {
      manager.configure(before.client, uploadChunkSizeKb);
      manager.stopAll({ cancelAtService: true });
    }
    owner.current = { userId, client };
    manager.configure(userId === null ? null : client, uploadChunkSizeKb);
  }, [manager, client, userId, uploadChunkSizeKb]);

  useEffect(() => {
    const leaving = () => {
      if (manager.busy()) manager.stopAll({ cancelAtService: true });
    };
    window.addEventListener("pagehide", leaving);
    return () => window.removeEventListener("pagehide", leaving);
  }, [manager]);

  return (
    <UploadsContext.Provider value={manager}>
      <UploadsWatch />
      {children}
    </UploadsContext.Provider>
  );
}

/** Asks before the app is left while something is going up, and says when a file is sent. */
function UploadsWatch() {
  const uploads = useUploads();
  const announce = useAnnounce();
  const said = useRef(new Map<string, string>());
  const busy = uploads.some((upload) => upload.phase === "starting" || upload.phase === "uploading");
  useLeaveGuard(busy, LEAVE_WHILE_UPLOADING, "app");

  useEffect(() => {
    for (const upload of uploads) {
      if (said.current.get(upload.lessonId) === upload.phase) continue;
      said.current.set(upload.lessonId, upload.phase);
      if (upload.phase === "sent") {
        announce(
          `«${upload.title}» is uploaded. Mux is processing it; you will be told when it is ready.`,
          { about: { lessonId: upload.lessonId, while: ["uploading", "processing"] } },
        );
      } // a failure is said in the tray and on the lesson's page, and stays there
    }
    const present = new Set(uploads.map((upload) => upload.lessonId));
    for (const lessonId of said.current.keys()) {
      if (!present.has(lessonId)) said.current.delete(lessonId);
    }
  }, [uploads, announce]);
  return null;
}
