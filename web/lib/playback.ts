import type { LessonVideo } from "@/lib/api/types";

/**
 * What MuxPlayer is given to play a published video. In production the playback id (and the
 * signed playback token). With `MUX_PLAYBACK_BASE_URL` set (the offline emulator, which serves
 * MP4 and has no Mux Data), that URL as `src`, with Mux Data tracking off.
 */
export function playerSource(video: LessonVideo, playbackBaseUrl: string | null) {
  const playbackId = video.playbackId ?? "";
  const token = video.playbackToken;
  return playbackBaseUrl
    ? {
        src: `${playbackBaseUrl}/${encodeURIComponent(playbackId)}.mp4${
          token ? `?token=${encodeURIComponent(token)}` : ""
        }`,
        disableTracking: true,
      }
    : { playbackId, tokens: token ? { playback: token } : undefined };
}

/** A CSS class per common aspect ratio (no inline styles: the app runs under a strict CSP). */
const RATIOS: Record<string, string> = {
  "16:9": "ratio-16-9",
  "4:3": "ratio-4-3",
  "1:1": "ratio-1-1",
  "9:16": "ratio-9-16",
  "3:4": "ratio-3-4",
  "21:9": "ratio-21-9",
};

export function ratioClass(aspectRatio: string | null | undefined): string {
  return RATIOS[aspectRatio ?? ""] ?? "ratio-16-9";
}
