"use client";

import { useEffect, useRef, useState } from "react";

import { ApiError } from "@/lib/api/apiError";
import { reorderLessons } from "@/lib/api/rest";
import type { CourseLessonEntry, ServiceClient } from "@/lib/api/types";
import { describeError } from "@/lib/describeError";

export type Direction = "up" | "down";

export function moved(order: string[], from: number, to: number): string[] {
  const next = order.slice();
  const [id] = next.splice(from, 1);
  next.splice(to, 0, id);
  return next;
}

function sameOrder(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

/**
 * The order a course's lessons are shown in while the author moves them
 * (`PUT /api/courses/{id}/lesson-order`): what this page asked for shows at once; the course
 * stream's order takes over once it agrees (or when nothing is in flight any more: after a 409
 * `order_mismatch` the stream's order is the current one, and `problem` says so).
 */
export function useLessonOrder({
  client,
  courseId,
  lessons,
  gone,
  focusAfter,
  announce,
}: {
  client: ServiceClient;
  courseId: string;
  /** In the order the course stream last sent. */
  lessons: CourseLessonEntry[];
  /** Deleted here, not yet relisted: left out. */
  gone: string[];
  focusAfter: (lessonId: string, control: string) => void;
  announce: (text: string) => void;
}) {
  const [localOrder, setLocalOrder] = useState<string[] | null>(null);
  const [pending, setPending] = useState(0);
  const [problem, setProblem] = useState<string | null>(null);

  const streamOrder = lessons.map((lesson) => lesson.lessonId);
  const known = new Set(streamOrder);
  const order = localOrder
    ? [
        ...localOrder.filter((id) => known.has(id)),
        ...streamOrder.filter((id) => !localOrder.includes(id)),
      ]
    : streamOrder;
  const streamKey = streamOrder.join(",");
  const visible = order.filter((id) => !gone.includes(id));

  // The stream's order as it was when the last move was saved: the next listing after that
  // carries the move (or something newer), and then the stream's order is shown again.
  const savedAt = useRef<string | null>(null);
  useEffect(() => {
    if (localOrder === null) return;
    const caughtUp = pending === 0 && savedAt.current !== null && savedAt.current !== streamKey;
    if (caughtUp || sameOrder(localOrder, streamKey.split(","))) {
      savedAt.current = null;
      setLocalOrder(null);
    }
  }, [streamKey, pending, localOrder]);

  async function reorder(next: string[], lessonId: string, control: string) {
    const lesson = lessons.find((entry) => entry.lessonId === lessonId);
    const position = next.indexOf(lessonId) + 1;
    setProblem(null);
    setLocalOrder(next);
    setPending((n) => n + 1);
    focusAfter(lessonId, control);
    try {
      await reorderLessons(client, courseId, next);
      savedAt.current = streamKey;
      announce(`«${lesson?.title ?? "Lesson"}» moved to position ${position} of ${next.length}.`);
    } catch (error) {
      setLocalOrder(null);
      if (error instanceof ApiError && error.code === "order_mismatch") {
        setProblem(
          "The lessons changed elsewhere (added, deleted or moved) before your move was saved. " +
            "The list now shows their current order; move the lesson again if you still want to.",
        );
      } else {
        setProblem(`The new order was not saved: ${describeError(error)}`);
      }
    } finally {
      setPending((n) => n - 1);
    }
  }

  /** One place up or down (the row's Up and Down buttons). */
  function step(lessonId: string, direction: Direction) {
    const from = visible.indexOf(lessonId);
    const to = direction === "up" ? from - 1 : from + 1;
    if (from < 0 || to < 0 || to >= visible.length) return;
    void reorder(moved(visible, from, to), lessonId, `move-${direction}`);
  }

  return { visible, problem, reorder, step };
}
