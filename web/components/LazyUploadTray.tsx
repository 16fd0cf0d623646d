"use client";

import dynamic from "next/dynamic";

import { useUploads } from "@/lib/hooks/useUploads";

// The tray's code is fetched once something goes up: a visitor, or an author with nothing
// uploading, never downloads it.
const UploadTray = dynamic(() => import("@/components/UploadTray").then((m) => m.UploadTray), {
  ssr: false,
});

/** The uploads tray of every page (components/UploadTray.tsx), loaded when first needed. */
export function LazyUploadTray() {
  const uploads = useUploads();
  if (uploads.length === 0) {
    return <section className="upload-tray upload-tray-empty" aria-label="Uploads" data-testid="upload-tray" />;
  }
  return <UploadTray />;
}
