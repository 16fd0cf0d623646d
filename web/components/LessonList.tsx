"use client";

import { useState } from "react";

import { LessonRow, type RowEditing } from "@/components/LessonRow";
import { LiveRegion } from "@/components/LiveRegion";
import { deleteLesson, readLesson } from "@/lib/api/rest";
import type { CourseLessonEntry, LessonVideo, ServiceClient, Visibility } from "@/lib/api/types";
import { describeError } from "@/lib/describeError";
import { useAnnounce } from "@/lib/hooks/useAnnounce";
import { useDragReorder } from "@/lib/hooks/useDragReorder";
import { useLessonOrder } from "@/lib/hooks/useLessonOrder";
import { useRowFocus } from "@/lib/hooks/useRowFocus";

/**
 * The author's lessons, in order, with their live status, thumbnail and duration. Reorder by
 * dragging a row or with its "Up"/"Down" buttons (`PUT /api/courses/{id}/lesson-order`, shown
 * at once and confirmed by the course stream; a 409 `order_mismatch` shows the current order
 * and says so); edit a lesson's details in place; delete one after confirming.
 */
export function LessonList({
  client,
  courseId,
  lessons,
  videos,
  courseVisibility,
}: {
  client: ServiceClient;
  courseId: string;
  /** In the order the course stream last sent. */
  lessons: CourseLessonEntry[];
  videos: Record<string, LessonVideo>;
  courseVisibility?: Visibility;
}) {
  const announce = useAnnounce();
  // Publish / Unpublish shown at once; the course stream's next listing has the final word.
  const [shownAtOnce, setShownAtOnce] = useState<{
    of: CourseLessonEntry[];
    visibility: Record<string, Visibility>;
  }>({ of: lessons, visibility: {} });
  const published = shownAtOnce.of === lessons ? shownAtOnce.visibility : {};
  const [editing, setEditing] = useState<{ lessonId: string; form: RowEditing } | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [rowError, setRowError] = useState<string | null>(null);
  // Deleted here: hidden at once, before the course stream relists.
  const [gone, setGone] = useState<string[]>([]);
  const { list, focusAfter } = useRowFocus();
  const order = useLessonOrder({ client, courseId, lessons, gone, focusAfter, announce });
  const visible = order.visible;
  const dragRow = useDragReorder(visible, (next, lessonId) => {
    void order.reorder(next, lessonId, "move-up");
  });
  const byId = new Map(lessons.map((lesson) => [lesson.lessonId, lesson]));

  async function edit(lessonId: string) {
    setRowError(null);
    setEditing({ lessonId, form: "loading" });
    try {
      // The current revision: the change is made against it (a stale one is told so).
      setEditing({ lessonId, form: await readLesson(client, lessonId) });
    } catch (error) {
      setEditing(null);
      setRowError(`«${byId.get(lessonId)?.title}» could not be opened: ${describeError(error)}`);
    }
  }

  async function remove(lessonId: string) {
    const lesson = byId.get(lessonId);
    const index = visible.indexOf(lessonId);
    setRowError(null);
    try {
      await deleteLesson(client, lessonId);
    } catch (error) {
      setRowError(`«${lesson?.title}» was not deleted: ${describeError(error)}`);
      return;
    }
    setConfirming(null);
    setGone((now) => [...now, lessonId]);
    const rest = visible.filter((id) => id !== lessonId);
    const neighbour = rest[Math.min(index, rest.length - 1)] ?? null;
    if (neighbour) focusAfter(neighbour, "delete");
    else document.querySelector<HTMLInputElement>("[data-testid=lesson-form] input")?.focus();
    announce(`Deleted «${lesson?.title ?? "the lesson"}». Its video is being deleted at Mux.`);
  }

  return (
    <>
      <LiveRegion urgent>
        {order.problem && (
          <p className="notice notice-warning" data-testid="order-problem">
            {order.problem}
          </p>
        )}
        {rowError && (
          <p className="notice notice-error" data-testid="lesson-error">
            {rowError}
          </p>
        )}
      </LiveRegion>
      {visible.length === 0 ? (
        <p className="muted">No lessons yet. Add the first one below.</p>
      ) : (
        <>
          <p className="hint" id="reorder-hint">
            Drag a lesson to move it, or use its Up and Down buttons.
          </p>
          <ol className="lesson-list" ref={list} data-testid="lesson-list" aria-describedby="reorder-hint">
            {visible.map((lessonId, index) => {
              const lesson = byId.get(lessonId)!;
              const rowEditing = editing?.lessonId === lessonId ? editing.form : null;
              const closeForm = () => {
                setEditing(null);
                focusAfter(lessonId, "edit");
              };
              return (
                <LessonRow
                  key={lessonId}
                  client={client}
                  lesson={lesson}
                  video={videos[lessonId]}
                  index={index}
                  count={visible.length}
                  visibility={published[lessonId] ?? lesson.visibility ?? "draft"}
                  courseVisibility={courseVisibility}
                  onVisibility={(visibility) =>
                    setShownAtOnce({
                      of: lessons,
                      visibility: { ...published, [lessonId]: visibility },
                    })
                  }
                  editing={rowEditing}
                  confirming={confirming === lessonId}
                  drag={dragRow(lessonId, index)}
                  onStep={(direction) => order.step(lessonId, direction)}
                  onEdit={() => (rowEditing !== null ? setEditing(null) : edit(lessonId))}
                  onEditDone={closeForm}
                  onDelete={() => setConfirming(confirming === lessonId ? null : lessonId)}
                  onConfirmDelete={() => remove(lessonId)}
                  onKeep={() => {
                    setConfirming(null);
                    focusAfter(lessonId, "delete");
                  }}
                />
              );
            })}
          </ol>
        </>
      )}
    </>
  );
}
