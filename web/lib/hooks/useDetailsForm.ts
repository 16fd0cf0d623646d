"use client";

import { useEffect, useRef, useState, type FormEvent } from "react";

import { ApiError } from "@/lib/api/apiError";
import { describeError } from "@/lib/describeError";
import { fieldErrorOf, validate, written, type Draft, type FieldErrors } from "@/lib/fields";
import { changedFields, differences, draftOf, type Written } from "@/lib/merge";

interface Versioned {
  title: string;
  description: string | null;
  revision: number;
}

/**
 * A title-and-description form's state and its save: checked here first (the service's rules),
 * then saved against the revision it was loaded at (`If-Match`). A 422 puts the service's
 * message next to the field it names; a 409 `edit_conflict` keeps the author's text and shows
 * the current version (`conflict`) with what differs field by field (`differences`): `reapply`
 * saves the fields this form changed from the version it was opened with (a field changed only
 * elsewhere keeps its new value), `takeCurrent` takes the current version.
 */
export function useDetailsForm<T extends Versioned>({
  initial,
  revision: initialRevision,
  save,
  onSaved,
  onCurrent,
  autoFocus = false,
  latest,
}: {
  initial: Draft;
  revision: number | null;
  /** Saves `fields`: all of them for a new one; for an edit (`revision` set) the ones the
   * author changed. */
  save: (fields: Partial<Written>, revision: number | null) => Promise<T>;
  /** Saved: `submitted` is what the form held when it was sent (the author may type on). */
  onSaved: (saved: T, submitted: Draft) => void;
  /** The author took the version saved elsewhere. */
  onCurrent?: (current: T) => void;
  /** Opened by an Edit or Rename button: focus goes into the form, on its title. */
  autoFocus?: boolean;
  /** The row as it is saved now, kept current by the page (a live stream): an untouched form
   * shows a newer version at once; one being edited keeps the author's text. */
  latest?: Versioned | null;
}) {
  const [draft, setDraft] = useState<Draft>(initial);
  const [revision, setRevision] = useState<number | null>(initialRevision);
  // The version the form was opened with (or last saved, or taken): what "changed" is against.
  const [base, setBase] = useState<Draft>(initial);
  const [seenLatest, setSeenLatest] = useState(latest?.revision ?? null);
  if (latest && latest.revision !== seenLatest) {
    setSeenLatest(latest.revision);
    const untouched = draft.title === base.title && draft.description === base.description;
    if (revision !== null && latest.revision > revision && untouched) {
      const now = draftOf(latest);
      setDraft(now);
      setBase(now);
      setRevision(latest.revision);
    }
  }
  const [errors, setErrors] = useState<FieldErrors>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [conflict, setConflict] = useState<T | null>(null);
  const [busy, setBusy] = useState(false);
  const titleRef = useRef<HTMLInputElement>(null);
  const descriptionRef = useRef<HTMLTextAreaElement>(null);
  const conflictRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (conflict !== null) conflictRef.current?.focus();
  }, [conflict]);

  const focusOnOpen = useRef(autoFocus);
  useEffect(() => {
    if (focusOnOpen.current) titleRef.current?.focus();
    focusOnOpen.current = false;
  }, []);

  const focusFirst = (found: FieldErrors) => {
    if (found.title) titleRef.current?.focus();
    else if (found.description) descriptionRef.current?.focus();
  };

  async function persist(against: number | null): Promise<void> {
    const found = validate(draft);
    setErrors(found);
    setProblem(null);
    if (Object.keys(found).length > 0) {
      focusFirst(found);
      return;
    }
    setBusy(true);
    const submitted = draft;
    const changed = changedFields(draft, base);
    const fields = against === null || Object.keys(changed).length === 0 ? written(draft) : changed;
    try {
      const saved = await save(fields, against);
      setConflict(null);
      setRevision(saved.revision);
      // The form shows what is saved now (a field changed elsewhere included), unless the
      // author typed on meanwhile.
      const now = draftOf(saved);
      setBase(now);
      if (against !== null) {
        setDraft((typed) =>
          typed.title === submitted.title && typed.description === submitted.description
            ? now
            : typed,
        );
      }
      onSaved(saved, submitted);
    } catch (error) {
      const refused = fieldErrorOf(error);
      if (refused) {
        setErrors(refused);
        focusFirst(refused);
      } else if (error instanceof ApiError && error.code === "edit_conflict" && error.current) {
        setConflict(error.current as T);
      } else {
        setProblem(describeError(error));
      }
    } finally {
      setBusy(false);
    }
  }

  return {
    draft,
    setDraft,
    /** The revision this form's changes are made against (null: a new one). */
    revision,
    errors,
    problem,
    conflict,
    /** Field by field, how the form and the version saved elsewhere differ. */
    differences: conflict === null ? [] : differences(draft, base, conflict),
    busy,
    titleRef,
    descriptionRef,
    conflictRef,
    submit: (event: FormEvent<HTMLFormElement>) => {
      event.preventDefault();
      void persist(revision);
    },
    reapply: () => {
      if (conflict !== null) void persist(conflict.revision);
    },
    takeCurrent: () => {
      if (conflict === null) return;
      setDraft(draftOf(conflict));
      setBase(draftOf(conflict));
      setRevision(conflict.revision);
      setConflict(null);
      setErrors({});
      onCurrent?.(conflict);
      titleRef.current?.focus();
    },
    /** Empty the form for the next one, unless the author has typed on since `submitted`. */
    clear: (submitted: Draft) => {
      setDraft((now) =>
        now.title === submitted.title && now.description === submitted.description
          ? { title: "", description: "" }
          : now,
      );
      setErrors({});
    },
  };
}
