"use client";

import dynamic from "next/dynamic";

import type { LessonVideo } from "@/lib/api/types";
import { useRuntimeConfig } from "@/lib/hooks/useRuntimeConfig";
import { playerSource, ratioClass } from "@/lib/playback";

const MuxPlayer = dynamic(() => import("@mux/mux-player-react"), {
  ssr: false,
  loading: () => <div className="player-placeholder">Loading player…</div>,
});

/**
 * The author's player, on the lesson's editor: MuxPlayer for a published video (no progress
 * kept: the learner's is `learner/LearnerPlayer.tsx`), with its thumbnail as the poster. In production it is given
 * the playback id (and the signed playback token). With `MUX_PLAYBACK_BASE_URL` set (the
 * offline emulator, which serves MP4 and has no Mux Data), it is given that URL as `src` and
 * Mux Data tracking is off.
 */
export function AuthorPlayer({ video, title }: { video: LessonVideo; title: string }) {
  const { playbackBaseUrl } = useRuntimeConfig();
  const playbackId = video.playbackId;
  if (!playbackId) return null;
  const source = playerSource(video, playbackBaseUrl);
  const ratio = ratioClass(video.aspectRatio);
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
