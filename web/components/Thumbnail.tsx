"use client";

import { useState } from "react";

/** A video's thumbnail (the URL the service gave, signed when playback is), or a plain tile
 * when there is none or it does not load. */
export function Thumbnail({ url, className = "thumb" }: { url: string | null; className?: string }) {
  const [failed, setFailed] = useState<string | null>(null);
  if (!url || failed === url) {
    return <span className={`${className} thumb-empty`} aria-hidden="true" />;
  }
  return (
    // A plain <img>: next/image would proxy Mux's image host through the Next server.
    // eslint-disable-next-line @next/next/no-img-element
    <img
      src={url}
      alt=""
      className={className}
      loading="lazy"
      decoding="async"
      onError={() => setFailed(url)}
    />
  );
}
