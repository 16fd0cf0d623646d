"use client";

import MuxPlayer from "@mux/mux-player-react";
import { useEffect, useRef, type ComponentRef } from "react";

import type { LessonVideo } from "@/lib/api/types";
import { useRuntimeConfig } from "@/lib/hooks/useRuntimeConfig";
import { playerSource, ratioClass } from "@/lib/playback";

/** How often the position is saved while the video plays (and on pause, end and leaving). */
export const SAVE_EVERY_MS = 15_000;

export interface PlaybackEvents {
  /** The position to keep; `leaving` when the page is being left (the request must outlive it). */
  onPosition: (seconds: number, how: { leaving: boolean }) => void;
  onEnded: (seconds: number) => void;
}

type PlayerElement = ComponentRef<typeof MuxPlayer>;

/**
 * Mux Player for the learner, loaded only once the learner asks to play (LearnerLessonView's
 * facade):
 * it starts at `startAt`, reports the position every SAVE_EVERY_MS while playing, on pause, at
 * the end, when the tab is hidden or the page left, and when it goes away (another lesson).
 */
export default function LearnerPlayer({
  video,
  title,
  startAt,
  events,
}: {
  video: LessonVideo;
  title: string;
  startAt: number;
  events: PlaybackEvents;
}) {
  const { playbackBaseUrl } = useRuntimeConfig();
  const player = useRef<PlayerElement | null>(null);
  const box = useRef<HTMLDivElement>(null);
  const lastSaved = useRef(0);
  const latest = useRef(events);
  useEffect(() => {
    latest.current = events;
  }, [events]);

  useEffect(() => {
    const leave = () => {
      const element = player.current;
      if (element && element.currentTime > 0) {
        latest.current.onPosition(element.currentTime, { leaving: true });
      }
    };
    const hidden = () => {
      if (document.visibilityState === "hidden") leave();
    };
    window.addEventListener("pagehide", leave);
    document.addEventListener("visibilitychange", hidden);
    return () => {
      window.removeEventListener("pagehide", leave);
      document.removeEventListener("visibilitychange", hidden);
      leave(); // an in-app link to another page
    };
  }, []);

  useEffect(() => {
    box.current?.focus(); // the play button it replaces had the focus
  }, []);

  return (
    <div
      className="player"
      data-testid="player"
      data-playback-id={video.playbackId ?? ""}
      ref={box}
      tabIndex={-1}
      aria-label={`Video: ${title}`}
      role="group"
    >
      <MuxPlayer
        ref={player}
        {...playerSource(video, playbackBaseUrl)}
        className={`player-video ${ratioClass(video.aspectRatio)}`}
        poster={video.thumbnailUrl ?? undefined}
        streamType="on-demand"
        accentColor="#4338ca"
        metadata={{ video_title: title }}
        startTime={startAt > 0 ? startAt : undefined}
        autoPlay
        onTimeUpdate={() => {
          const element = player.current;
          if (!element || element.paused) return;
          const now = Date.now();
          if (now - lastSaved.current < SAVE_EVERY_MS) return;
          lastSaved.current = now;
          latest.current.onPosition(element.currentTime, { leaving: false });
        }}
        onPause={() => {
          const element = player.current;
          if (element && !element.ended) latest.current.onPosition(element.currentTime, { leaving: false });
        }}
        onEnded={() => {
          latest.current.onEnded(player.current?.currentTime ?? 0);
        }}
      />
    </div>
  );
}
