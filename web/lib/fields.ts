import { ApiError } from "@/lib/api/apiError";

/** Limits the service enforces (422 `invalid_request` naming the field). */
export const TITLE_MAX = 200;
export const DESCRIPTION_MAX = 2000;

/** What the author typed into a title and description form. */
export interface Draft {
  title: string;
  description: string;
}

export type FieldErrors = Partial<Record<keyof Draft, string>>;

/** Characters as the service counts them (code points: an emoji is one, not two). */
function characters(text: string): number {
  return Array.from(text).length;
}

/** The same rules the service applies (it trims, then checks), said next to the field. */
export function validate(draft: Draft): FieldErrors {
  const errors: FieldErrors = {};
  const title = characters(draft.title.trim());
  if (title === 0) errors.title = "Give it a title.";
  else if (title > TITLE_MAX) {
    errors.title = `At most ${TITLE_MAX} characters (this one has ${title}).`;
  }
  const description = characters(draft.description.trim());
  if (description > DESCRIPTION_MAX) {
    errors.description = `At most ${DESCRIPTION_MAX.toLocaleString("en")} characters (this one has ${description.toLocaleString("en")}).`;
  }
  return errors;
}

/** The service's 422 names the field it refused: put its message next to that field. */
export function fieldErrorOf(error: unknown): FieldErrors | null {
  if (error instanceof ApiError && error.status === 422) {
    if (error.field === "title" || error.field === "description") {
      return { [error.field]: error.message };
    }
  }
  return null;
}

export function written(draft: Draft): { title: string; description: string | null } {
  const description = draft.description.trim();
  return { title: draft.title.trim(), description: description ? description : null };
}
