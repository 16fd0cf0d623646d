"use client";

import dynamic from "next/dynamic";

import { useRuntimeConfig } from "@/components/RuntimeConfig";
import type { LessonVideo } from "@/lib/api";

const MuxPlayer = dynamic(() => import("@mux/mux-player-react"), {
  ssr: false,
  loading: () => <div className="player-placeholder">Loading player…</div>,
});

/**
 * MuxPlayer for a published video. In production it is given the playback id (and the signed
 * playback token). With `MUX_PLAYBACK_BASE_URL` set (the offline emulator, which serves MP4 and
 * has no Mux Data), it is given that URL as `src` and Mux Data tracking is off.
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
  return (
    <div className="player" data-testid="player" data-playback-id={playbackId}>
      <MuxPlayer
        key={playbackId}
        {...source}
        streamType="on-demand"
        accentColor="#4f46e5"
        metadata={{ video_title: title }}
        style={{ aspectRatio: video.aspectRatio?.replace(":", "/") ?? "16/9", width: "100%" }}
      />
    </div>
  );
}
