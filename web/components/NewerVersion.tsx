/** Said in a form being edited when the row it edits was saved elsewhere meanwhile: the
 * author's text is kept; saving writes only the fields they changed. */
export function NewerVersion({
  what,
  shown,
  revision,
  title,
}: {
  what: "lesson" | "course";
  /** The revision the form's changes are made against. */
  shown: number | null;
  /** The revision saved now, and its title. */
  revision: number | undefined;
  title: string | undefined;
}) {
  if (shown === null || revision === undefined || revision <= shown) return null;
  return (
    <p className="notice notice-info" data-testid="newer-version">
      This {what} was changed elsewhere while you were editing (its title is now «{title}»).
      Your text is kept; saving writes only what you changed and shows you what differs.
    </p>
  );
}
