/**
 * A stale edit merged field by field: after a 409 `edit_conflict`, "save my changes" writes
 * only the fields this form changed from the version it was opened with, so a field changed
 * elsewhere (and not here) keeps its new value.
 */
import { written, type Draft } from "@/lib/fields";

export type FieldName = "title" | "description";
export const FIELDS: FieldName[] = ["title", "description"];

export interface Written {
  title: string;
  description: string | null;
}

export function draftOf(fields: Written): Draft {
  return { title: fields.title, description: fields.description ?? "" };
}

/** The fields the author changed from `base` (what the form was opened with or last saved). */
export function changedFields(draft: Draft, base: Draft): Partial<Written> {
  const mine = written(draft);
  const before = written(base);
  const changed: Partial<Written> = {};
  if (mine.title !== before.title) changed.title = mine.title;
  if (mine.description !== before.description) changed.description = mine.description;
  return changed;
}

/** How one field stands between the author's form and the version saved elsewhere. */
export interface FieldDifference {
  field: FieldName;
  /** What the form holds (the author's), and what is saved now (elsewhere). */
  mine: string | null;
  current: string | null;
  /** `mine`: only this form changed it (saving mine writes it); `theirs`: only changed
   * elsewhere (kept as it is); `both`: changed in both (saving mine writes mine over it). */
  changedBy: "mine" | "theirs" | "both";
}

/** Field by field, what differs after a conflict (fields the same on both sides left out). */
export function differences(draft: Draft, base: Draft, current: Written): FieldDifference[] {
  const mine = written(draft);
  const before = written(base);
  const found: FieldDifference[] = [];
  for (const field of FIELDS) {
    if (mine[field] === current[field]) continue;
    const changedHere = mine[field] !== before[field];
    const changedThere = current[field] !== before[field];
    if (!changedHere && !changedThere) continue;
    found.push({
      field,
      mine: mine[field],
      current: current[field],
      changedBy: changedHere && changedThere ? "both" : changedHere ? "mine" : "theirs",
    });
  }
  return found;
}
