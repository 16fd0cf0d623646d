"use client";

import { createContext, useContext } from "react";

import type { VideoStatus } from "@/lib/api/types";

/* What `AnnouncerProvider` (components/Announcer.tsx) hands down: say what happened, and
 * withdraw a message about a video that has moved on. */

export type Tone = "success" | "info" | "error";

/** A message about a lesson's video: true only while the video's status is one of `while`. */
export interface About {
  lessonId: string;
  while: VideoStatus[];
}

export interface Message {
  id: number;
  text: string;
  tone: Tone;
  /** The page it is about: shown there only (announce, then navigate, and it is still said). */
  path: string;
  about: About | null;
}

export type Announce = (text: string, options?: { tone?: Tone; path?: string; about?: About }) => void;

/** A lesson's video is now `status`: a message about it that is no longer true goes. */
export type Settle = (lessonId: string, status: VideoStatus) => void;

export const AnnounceContext = createContext<Announce>(() => undefined);
export const SettleContext = createContext<Settle>(() => undefined);
export const MessageContext = createContext<Message | null>(null);

export function useSettle(): Settle {
  return useContext(SettleContext);
}

export function useAnnounce(): Announce {
  return useContext(AnnounceContext);
}

/** The message the page's status line shows (`PageStatus`). */
export function usePageMessage(): Message | null {
  return useContext(MessageContext);
}
