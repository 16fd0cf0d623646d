"use client";

import Link from "next/link";
import { useEffect, useLayoutEffect, useRef, useState, type DragEvent } from "react";

import { LessonForm } from "@/components/LessonForm";
import { LiveRegion } from "@/components/LiveRegion";
import { PublishControl } from "@/components/PublishControl";
import { Thumbnail } from "@/components/Thumbnail";
import { UploadProgress } from "@/components/UploadProgress";
import { VideoStatusBadge } from "@/components/VideoStatusBadge";
import { ApiError } from "@/lib/api/apiError";
import { deleteLesson, readLesson, reorderLessons } from "@/lib/api/rest";
import type { CourseLessonEntry, Lesson, LessonVideo, ServiceClient, Visibility } from "@/lib/api/types";
import { describeError } from "@/lib/describeError";
import { formatDuration, spokenDuration } from "@/lib/format";
import { useAnnounce } from "@/lib/hooks/useAnnounce";

type Direction = "up" | "down";

function moved(order: string[], from: number, to: number): string[] {
  const next = order.slice();
  const [id] = next.splice(from, 1);
  next.splice(to, 0, id);
  return next;
}

function sameOrder(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

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
  const [localOrder, setLocalOrder] = useState<string[] | null>(null);
  const [pending, setPending] = useState(0);
  const [orderProblem, setOrderProblem] = useState<string | null>(null);
  const [dragging, setDragging] = useState<string | null>(null);
  const [dropAt, setDropAt] = useState<number | null>(null);
  const [editing, setEditing] = useState<{ lesson: Lesson } | { loading: string } | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [rowError, setRowError] = useState<string | null>(null);
  // Deleted here: hidden at once, before the course stream relists.
  const [gone, setGone] = useState<string[]>([]);
  const list = useRef<HTMLOListElement>(null);
  const focusAfter = useRef<{ lessonId: string; control: string } | null>(null);

  const streamOrder = lessons.map((lesson) => lesson.lessonId);
  const byId = new Map(lessons.map((lesson) => [lesson.lessonId, lesson]));
  // What this page asked for shows at once; the stream's order takes over once it agrees
  // (or when nothing is in flight any more: after a 409 the stream's order is the current one).
  const order = localOrder
    ? [
        ...localOrder.filter((id) => byId.has(id)),
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

  // Keep focus on the control that was used (or its row's nearest one) after the list moves.
  useLayoutEffect(() => {
    const wanted = focusAfter.current;
    if (wanted === null) return;
    const row = list.current?.querySelector<HTMLElement>(`[data-lesson="${wanted.lessonId}"]`);
    const candidates = [wanted.control, "move-up", "move-down", "edit"];
    for (const name of candidates) {
      const control = row?.querySelector<HTMLButtonElement>(`[data-control="${name}"]`);
      if (control && !control.disabled) {
        control.focus();
        break;
      }
    }
    focusAfter.current = null;
  });

  async function reorder(next: string[], lessonId: string, control: string) {
    const lesson = byId.get(lessonId);
    const position = next.indexOf(lessonId) + 1;
    setOrderProblem(null);
    setLocalOrder(next);
    setPending((n) => n + 1);
    focusAfter.current = { lessonId, control };
    try {
      await reorderLessons(client, courseId, next);
      savedAt.current = streamKey;
      announce(`«${lesson?.title ?? "Lesson"}» moved to position ${position} of ${next.length}.`);
    } catch (error) {
      setLocalOrder(null);
      if (error instanceof ApiError && error.code === "order_mismatch") {
        setOrderProblem(
          "The lessons changed elsewhere (added, deleted or moved) before your move was saved. " +
            "The list now shows their current order; move the lesson again if you still want to.",
        );
      } else {
        setOrderProblem(`The new order was not saved: ${describeError(error)}`);
      }
    } finally {
      setPending((n) => n - 1);
    }
  }

  function step(lessonId: string, direction: Direction) {
    const from = visible.indexOf(lessonId);
    const to = direction === "up" ? from - 1 : from + 1;
    if (from < 0 || to < 0 || to >= visible.length) return;
    void reorder(moved(visible, from, to), lessonId, `move-${direction}`);
  }

  const onDragStart = (event: DragEvent<HTMLLIElement>, lessonId: string) => {
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", lessonId);
    setDragging(lessonId);
  };
  const onDragOver = (event: DragEvent<HTMLLIElement>, index: number) => {
    if (dragging === null) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    setDropAt(index);
  };
  const onDrop = (event: DragEvent<HTMLLIElement>, index: number) => {
    event.preventDefault();
    const lessonId = dragging ?? event.dataTransfer.getData("text/plain");
    setDragging(null);
    setDropAt(null);
    const from = visible.indexOf(lessonId);
    if (from < 0 || from === index) return;
    void reorder(moved(visible, from, index), lessonId, "move-up");
  };

  async function edit(lessonId: string) {
    setRowError(null);
    setEditing({ loading: lessonId });
    try {
      // The current revision: the change is made against it (a stale one is told so).
      setEditing({ lesson: await readLesson(client, lessonId) });
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
    if (neighbour) focusAfter.current = { lessonId: neighbour, control: "delete" };
    else document.querySelector<HTMLInputElement>("[data-testid=lesson-form] input")?.focus();
    announce(`Deleted «${lesson?.title ?? "the lesson"}». Its video is being deleted at Mux.`);
  }

  return (
    <>
      <LiveRegion urgent>
        {orderProblem && (
          <p className="notice notice-warning" data-testid="order-problem">
            {orderProblem}
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
              const video = videos[lessonId];
              const duration = formatDuration(video?.durationSeconds);
              const isEditing =
                editing !== null &&
                ("lesson" in editing ? editing.lesson.lessonId : editing.loading) === lessonId;
              const classes = ["lesson-row"];
              if (dragging === lessonId) classes.push("dragging");
              if (dropAt === index && dragging !== lessonId) classes.push("drop-target");
              return (
                <li
                  key={lessonId}
                  className={classes.join(" ")}
                  data-lesson={lessonId}
                  draggable={!isEditing && confirming !== lessonId}
                  onDragStart={(event) => onDragStart(event, lessonId)}
                  onDragOver={(event) => onDragOver(event, index)}
                  onDragLeave={() => setDropAt((now) => (now === index ? null : now))}
                  onDrop={(event) => onDrop(event, index)}
                  onDragEnd={() => {
                    setDragging(null);
                    setDropAt(null);
                  }}
                >
                  <div className="lesson-row-main">
                    <span className="drag-handle" aria-hidden="true" title="Drag to move">
                      ⠿
                    </span>
                    <span className="lesson-number" aria-hidden="true">
                      {index + 1}
                    </span>
                    <Thumbnail url={video?.thumbnailUrl ?? null} />
                    <span className="lesson-row-text">
                      <Link href={`/lessons/${lessonId}`} className="lesson-title" draggable={false}>
                        {lesson.title}
                      </Link>
                      <span className="lesson-row-meta">
                        {video ? <VideoStatusBadge video={video} /> : null}
                        <UploadProgress lessonId={lessonId} />
                        <PublishControl
                          client={client}
                          what="lesson"
                          id={lessonId}
                          title={lesson.title}
                          compact
                          visibility={published[lessonId] ?? lesson.visibility ?? "draft"}
                          status={video?.status}
                          courseVisibility={courseVisibility}
                          onChanged={(visibility) =>
                            setShownAtOnce({
                              of: lessons,
                              visibility: { ...published, [lessonId]: visibility },
                            })
                          }
                        />
                        {duration && video?.playbackId && (
                          <span className="lesson-duration">
                            <span aria-hidden="true">{duration}</span>
                            <span className="visually-hidden">
                              Duration {spokenDuration(video.durationSeconds)}
                            </span>
                          </span>
                        )}
                      </span>
                    </span>
                    <span className="row-actions">
                      <button
                        type="button"
                        className="button button-secondary button-small"
                        data-control="move-up"
                        disabled={index === 0}
                        aria-label={`Move «${lesson.title}» up`}
                        onClick={() => step(lessonId, "up")}
                      >
                        ↑ Up
                      </button>
                      <button
                        type="button"
                        className="button button-secondary button-small"
                        data-control="move-down"
                        disabled={index === visible.length - 1}
                        aria-label={`Move «${lesson.title}» down`}
                        onClick={() => step(lessonId, "down")}
                      >
                        ↓ Down
                      </button>
                      <button
                        type="button"
                        className="button button-secondary button-small"
                        data-control="edit"
                        aria-label={`Edit «${lesson.title}»`}
                        aria-expanded={isEditing}
                        onClick={() => (isEditing ? setEditing(null) : edit(lessonId))}
                      >
                        Edit
                      </button>
                      <button
                        type="button"
                        className="button button-secondary button-small"
                        data-control="delete"
                        aria-label={`Delete «${lesson.title}»`}
                        aria-expanded={confirming === lessonId}
                        onClick={() => setConfirming(confirming === lessonId ? null : lessonId)}
                      >
                        Delete
                      </button>
                    </span>
                  </div>
                  {confirming === lessonId && (
                    <DeleteConfirm
                      title={lesson.title}
                      hasVideo={Boolean(video?.playbackId) || video?.status === "uploading" || video?.status === "processing"}
                      onConfirm={() => remove(lessonId)}
                      onKeep={() => {
                        setConfirming(null);
                        focusAfter.current = { lessonId, control: "delete" };
                      }}
                    />
                  )}
                  {isEditing && "lesson" in editing && (
                    <div className="row-panel">
                      <LessonForm
                        mode="edit"
                        autoFocus
                        client={client}
                        lesson={editing.lesson}
                        onSaved={() => {
                          setEditing(null);
                          focusAfter.current = { lessonId, control: "edit" };
                        }}
                        onCancel={() => {
                          setEditing(null);
                          focusAfter.current = { lessonId, control: "edit" };
                        }}
                      />
                    </div>
                  )}
                  {isEditing && "loading" in editing && <p className="muted">Loading…</p>}
                </li>
              );
            })}
          </ol>
        </>
      )}
    </>
  );
}

function DeleteConfirm({
  title,
  hasVideo,
  onConfirm,
  onKeep,
}: {
  title: string;
  hasVideo: boolean;
  onConfirm: () => Promise<void>;
  onKeep: () => void;
}) {
  const question = useRef<HTMLParagraphElement>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => question.current?.focus(), []);
  return (
    <div className="confirm row-panel" data-testid="confirm-delete-lesson">
      <p tabIndex={-1} ref={question}>
        Delete «{title}»?{" "}
        {hasVideo ? "Its video is deleted at Mux too. " : ""}This cannot be undone.
      </p>
      <div className="form-actions">
        <button
          type="button"
          className="button button-danger"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            await onConfirm();
            setBusy(false);
          }}
        >
          Delete the lesson
        </button>
        <button type="button" className="button button-secondary" onClick={onKeep}>
          Keep it
        </button>
      </div>
    </div>
  );
}
