"use client";

import { useState, type DragEvent } from "react";

import { moved } from "@/lib/hooks/useLessonOrder";

/** What a draggable row needs: its class names and its drag handlers. */
export interface DragRow {
  dragging: boolean;
  dropTarget: boolean;
  onDragStart: (event: DragEvent<HTMLLIElement>) => void;
  onDragOver: (event: DragEvent<HTMLLIElement>) => void;
  onDragLeave: () => void;
  onDrop: (event: DragEvent<HTMLLIElement>) => void;
  onDragEnd: () => void;
}

/** Moving rows of `order` by dragging one onto another's place; `move` is handed the new
 * order and the lesson that moved. */
export function useDragReorder(
  order: string[],
  move: (next: string[], lessonId: string) => void,
): (lessonId: string, index: number) => DragRow {
  const [dragging, setDragging] = useState<string | null>(null);
  const [dropAt, setDropAt] = useState<number | null>(null);

  return (lessonId, index) => ({
    dragging: dragging === lessonId,
    dropTarget: dropAt === index && dragging !== lessonId,
    onDragStart: (event) => {
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", lessonId);
      setDragging(lessonId);
    },
    onDragOver: (event) => {
      if (dragging === null) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      setDropAt(index);
    },
    onDragLeave: () => setDropAt((now) => (now === index ? null : now)),
    onDrop: (event) => {
      event.preventDefault();
      const dragged = dragging ?? event.dataTransfer.getData("text/plain");
      setDragging(null);
      setDropAt(null);
      const from = order.indexOf(dragged);
      if (from < 0 || from === index) return;
      move(moved(order, from, index), dragged);
    },
    onDragEnd: () => {
      setDragging(null);
      setDropAt(null);
    },
  });
}
