"use client";

import type { Ref } from "react";

import { LiveRegion } from "@/components/LiveRegion";
import { DESCRIPTION_MAX, TITLE_MAX, type Draft, type FieldErrors } from "@/lib/fields";
import type { FieldDifference } from "@/lib/merge";

/**
 * A title (required, at most 200 characters) and a description (at most 2,000), each with its
 * error next to it: `aria-invalid`, and the message in the field's description so it is read
 * when the field takes focus (forms move focus to the first field in error).
 */
export function DetailsFields({
  idBase,
  draft,
  onChange,
  errors,
  titleRef,
  descriptionRef,
  what,
}: {
  idBase: string;
  draft: Draft;
  onChange: (draft: Draft) => void;
  errors: FieldErrors;
  titleRef?: Ref<HTMLInputElement>;
  descriptionRef?: Ref<HTMLTextAreaElement>;
  /** "lesson" or "course": in the hints. */
  what: string;
}) {
  const titleId = `${idBase}-title`;
  const descriptionId = `${idBase}-description`;
  return (
    <>
      <div className="field">
        <label htmlFor={titleId}>
          Title <span className="required">(required)</span>
        </label>
        <input
          id={titleId}
          ref={titleRef}
          name="title"
          type="text"
          autoComplete="off"
          value={draft.title}
          onChange={(event) => onChange({ ...draft, title: event.target.value })}
          aria-invalid={errors.title ? true : undefined}
          aria-describedby={`${titleId}-hint${errors.title ? ` ${titleId}-error` : ""}`}
        />
        <p id={`${titleId}-hint`} className="hint">
          The {what}&apos;s name, up to {TITLE_MAX} characters.
        </p>
        {errors.title && (
          <p id={`${titleId}-error`} className="field-error" data-testid="title-error">
            {errors.title}
          </p>
        )}
      </div>
      <div className="field">
        <label htmlFor={descriptionId}>Description</label>
        <textarea
          id={descriptionId}
          ref={descriptionRef}
          name="description"
          rows={3}
          value={draft.description}
          onChange={(event) => onChange({ ...draft, description: event.target.value })}
          aria-invalid={errors.description ? true : undefined}
          aria-describedby={`${descriptionId}-hint${errors.description ? ` ${descriptionId}-error` : ""}`}
        />
        <p id={`${descriptionId}-hint`} className="hint">
          Optional, up to {DESCRIPTION_MAX.toLocaleString("en")} characters.
        </p>
        {errors.description && (
          <p id={`${descriptionId}-error`} className="field-error" data-testid="description-error">
            {errors.description}
          </p>
        )}
      </div>
    </>
  );
}

/** What a save of `useDetailsForm` came to, when it did not save: a problem said at once, or
 * the conflict with the version saved elsewhere. */
export function SaveProblems({
  what,
  form,
}: {
  what: "lesson" | "course";
  form: {
    problem: string | null;
    conflict: { title: string; description: string | null } | null;
    differences: FieldDifference[];
    busy: boolean;
    reapply: () => void;
    takeCurrent: () => void;
    conflictRef: Ref<HTMLDivElement>;
  };
}) {
  return (
    <>
      <LiveRegion urgent>
        {form.problem && (
          <p className="notice notice-error" data-testid="form-error">
            {form.problem}
          </p>
        )}
      </LiveRegion>
      {form.conflict && (
        <EditConflict
          what={what}
          current={form.conflict}
          differences={form.differences}
          busy={form.busy}
          onReapply={form.reapply}
          onUseCurrent={form.takeCurrent}
          panelRef={form.conflictRef}
        />
      )}
    </>
  );
}

const FIELD_NAMES = { title: "Title", description: "Description" } as const;

function quoted(text: string | null) {
  return text ? `«${text}»` : "empty";
}

/** One field of a conflict, said in words: who changed it, and what saving yours does. */
function difference({ field, mine, current, changedBy }: FieldDifference): string {
  const name = FIELD_NAMES[field];
  switch (changedBy) {
    case "theirs":
      return `${name}: changed elsewhere to ${quoted(current)}. You did not change it, so it keeps that.`;
    case "mine":
      return `${name}: you changed it to ${quoted(mine)}; saving yours writes that.`;
    case "both":
      return `${name}: changed elsewhere to ${quoted(current)} and by you to ${quoted(mine)}; saving yours writes yours.`;
  }
}

/** What a stale save is told: field by field what differs, the version saved elsewhere, and
 * the two ways on. */
function EditConflict({
  what,
  current,
  differences,
  onReapply,
  onUseCurrent,
  busy,
  panelRef,
}: {
  what: "lesson" | "course";
  current: { title: string; description: string | null };
  differences: FieldDifference[];
  onReapply: () => void;
  onUseCurrent: () => void;
  busy: boolean;
  panelRef?: Ref<HTMLDivElement>;
}) {
  return (
    <div className="conflict" data-testid="edit-conflict" tabIndex={-1} ref={panelRef}>
      <p>
        <strong>This {what} was changed elsewhere since you opened it.</strong> Your changes were
        not saved; they are still in the form.
      </p>
      {differences.length > 0 && (
        <ul className="conflict-fields" data-testid="conflict-fields">
          {differences.map((one) => (
            <li key={one.field} data-field={one.field} data-changed-by={one.changedBy}>
              {difference(one)}
            </li>
          ))}
        </ul>
      )}
      <p>Its current version:</p>
      <dl className="conflict-current">
        <dt>Title</dt>
        <dd data-testid="current-title">{current.title}</dd>
        <dt>Description</dt>
        <dd>{current.description || <span className="muted">none</span>}</dd>
      </dl>
      <div className="form-actions">
        <button type="button" className="button" disabled={busy} onClick={onReapply}>
          Save my changes over it
        </button>
        <button type="button" className="button button-secondary" onClick={onUseCurrent}>
          Use the current version
        </button>
      </div>
    </div>
  );
}
