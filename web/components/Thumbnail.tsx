"use client";

import { useState } from "react";

/** A video's thumbnail (the URL the service gave, signed when playback is), or a plain tile
 * when there is none or it does not load. */
export function Thumbnail({
  url,
  className = "thumb",
  priority = false,
}: {
  url: string | null;
  className?: string;
  /** The page's first image, likely its largest: loaded at once rather than lazily. */
  priority?: boolean;
}) {
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
      loading={priority ? "eager" : "lazy"}
      fetchPriority={priority ? "high" : undefined}
      decoding="async"
      onError={() => setFailed(url)}
    />
  );
}
