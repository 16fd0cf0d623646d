"use client";

import dynamic from "next/dynamic";

import { useRuntimeConfig } from "@/components/RuntimeConfig";
import type { LessonVideo } from "@/lib/api";

const MuxPlayer = dynamic(() => import("@mux/mux-player-react"), {
  ssr: false,
  loading: () => <div className="player-placeholder">Loading player…</div>,
});

/** A CSS class per common aspect ratio (no inline styles: the app runs under a strict CSP). */
const RATIOS: Record<string, string> = {
  "16:9": "ratio-16-9",
  "4:3": "ratio-4-3",
  "1:1": "ratio-1-1",
  "9:16": "ratio-9-16",
  "3:4": "ratio-3-4",
  "21:9": "ratio-21-9",
};

/**
 * MuxPlayer for a published video, with its thumbnail as the poster. In production it is given
 * the playback id (and the signed playback token). With `MUX_PLAYBACK_BASE_URL` set (the
 * offline emulator, which serves MP4 and has no Mux Data), it is given that URL as `src` and
 * Mux Data tracking is off.
 */
export function LessonPlayer({ video, title }: { video: LessonVideo; title: string }) {
  const { playbackBaseUrl } = useRuntimeConfig();
  const playbackId = video.playbackId;
  if (!playbackId) return null;
  const token = video.playbackToken;
  const source = playbackBaseUrl
    ? {
        src: `${playbackBaseUrl}/${encodeURIComponent(playbackId)}.mp4${
          token ? `?token=${encodeURIComponent(token)}` : ""
        }`,
        disableTracking: true,
      }
    : { playbackId, tokens: token ? { playback: token } : undefined };
  const ratio = RATIOS[video.aspectRatio ?? ""] ?? "ratio-16-9";
  return (
    <div className="player" data-testid="player" data-playback-id={playbackId}>
      <MuxPlayer
        key={playbackId}
        {...source}
        className={`player-video ${ratio}`}
        poster={video.thumbnailUrl ?? undefined}
        streamType="on-demand"
        accentColor="#4338ca"
        metadata={{ video_title: title }}
      />
    </div>
  );
}
