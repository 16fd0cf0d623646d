"use client";

import { createContext, useContext, useSyncExternalStore } from "react";

import type { Upload, UploadManager } from "@/lib/uploads/manager";

export const UploadsContext = createContext<UploadManager | null>(null);

/** The signed-in session's upload manager (see `UploadsProvider`). */
export function useUploadManager(): UploadManager {
  const manager = useContext(UploadsContext);
  if (manager === null) throw new Error("useUploadManager outside UploadsProvider");
  return manager;
}

const NONE: Upload[] = [];

/** Every upload of this tab, kept current. */
export function useUploads(): Upload[] {
  const manager = useUploadManager();
  return useSyncExternalStore(manager.subscribe, manager.all, () => NONE);
}

/** The lesson's upload in this tab, if any, kept current. */
export function useUpload(lessonId: string): Upload | null {
  return useUploads().find((upload) => upload.lessonId === lessonId) ?? null;
}
