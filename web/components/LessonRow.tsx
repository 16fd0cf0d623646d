"use client";

import Link from "next/link";

import { DeleteLessonConfirm } from "@/components/DeleteLessonConfirm";
import { LessonForm } from "@/components/LessonForm";
import { PublishControl } from "@/components/PublishControl";
import { Thumbnail } from "@/components/Thumbnail";
import { UploadProgress } from "@/components/UploadProgress";
import { VideoStatusBadge } from "@/components/VideoStatusBadge";
import type {
  CourseLessonEntry,
  Lesson,
  LessonVideo,
  ServiceClient,
  Visibility,
} from "@/lib/api/types";
import { formatDuration, spokenDuration } from "@/lib/format";
import type { DragRow } from "@/lib/hooks/useDragReorder";
import type { Direction } from "@/lib/hooks/useLessonOrder";

/** A row's details form: closed, being read (its current revision), or open. */
export type RowEditing = null | "loading" | Lesson;

/**
 * One lesson in the author's list: drag handle, number, thumbnail, title (a link to its
 * page), live status, upload progress, Publish, duration, and Up, Down, Edit and Delete; under
 * it the delete confirmation or the details form when open.
 */
export function LessonRow({
  client,
  lesson,
  video,
  index,
  count,
  visibility,
  courseVisibility,
  onVisibility,
  editing,
  confirming,
  drag,
  onStep,
  onEdit,
  onEditDone,
  onDelete,
  onConfirmDelete,
  onKeep,
}: {
  client: ServiceClient;
  lesson: CourseLessonEntry;
  video: LessonVideo | undefined;
  index: number;
  count: number;
  visibility: Visibility;
  courseVisibility?: Visibility;
  onVisibility: (visibility: Visibility) => void;
  editing: RowEditing;
  confirming: boolean;
  drag: DragRow;
  onStep: (direction: Direction) => void;
  /** Edit pressed: open (or close) the details form. */
  onEdit: () => void;
  /** The details form saved or was cancelled. */
  onEditDone: () => void;
  /** Delete pressed: open (or close) the confirmation. */
  onDelete: () => void;
  onConfirmDelete: () => Promise<void>;
  onKeep: () => void;
}) {
  const { lessonId, title } = lesson;
  const duration = formatDuration(video?.durationSeconds);
  const isEditing = editing !== null;
  const classes = ["lesson-row"];
  if (drag.dragging) classes.push("dragging");
  if (drag.dropTarget) classes.push("drop-target");
  return (
    <li
      className={classes.join(" ")}
      data-lesson={lessonId}
      draggable={!isEditing && !confirming}
      onDragStart={drag.onDragStart}
      onDragOver={drag.onDragOver}
      onDragLeave={drag.onDragLeave}
      onDrop={drag.onDrop}
      onDragEnd={drag.onDragEnd}
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
            {title}
          </Link>
          <span className="lesson-row-meta">
            {video ? <VideoStatusBadge video={video} /> : null}
            <UploadProgress lessonId={lessonId} />
            <PublishControl
              client={client}
              what="lesson"
              id={lessonId}
              title={title}
              compact
              visibility={visibility}
              status={video?.status}
              courseVisibility={courseVisibility}
              onChanged={onVisibility}
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
            aria-label={`Move «${title}» up`}
            onClick={() => onStep("up")}
          >
            ↑ Up
          </button>
          <button
            type="button"
            className="button button-secondary button-small"
            data-control="move-down"
            disabled={index === count - 1}
            aria-label={`Move «${title}» down`}
            onClick={() => onStep("down")}
          >
            ↓ Down
          </button>
          <button
            type="button"
            className="button button-secondary button-small"
            data-control="edit"
            aria-label={`Edit «${title}»`}
            aria-expanded={isEditing}
            onClick={onEdit}
          >
            Edit
          </button>
          <button
            type="button"
            className="button button-secondary button-small"
            data-control="delete"
            aria-label={`Delete «${title}»`}
            aria-expanded={confirming}
            onClick={onDelete}
          >
            Delete
          </button>
        </span>
      </div>
      {confirming && (
        <DeleteLessonConfirm
          title={title}
          hasVideo={
            Boolean(video?.playbackId) ||
            video?.status === "uploading" ||
            video?.status === "processing"
          }
          onConfirm={onConfirmDelete}
          onKeep={onKeep}
        />
      )}
      {editing !== null && editing !== "loading" && (
        <div className="row-panel">
          <LessonForm
            mode="edit"
            autoFocus
            client={client}
            lesson={editing}
            onSaved={onEditDone}
            onCancel={onEditDone}
          />
        </div>
      )}
      {editing === "loading" && <p className="muted">Loading…</p>}
    </li>
  );
}
