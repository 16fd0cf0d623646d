import Link from "next/link";

/** "Preview as a learner": the same page as learners get it (no token sent), without signing
 * out. */
export function PreviewLink({ href, what }: { href: string; what: "course" | "lesson" }) {
  return (
    <Link href={href} className="button button-secondary" data-control="preview">
      Preview as a learner<span className="visually-hidden"> (this {what})</span>
    </Link>
  );
}

/** Above a preview: what it is, and the way back to editing. */
export function PreviewBanner({ back }: { back: string }) {
  return (
    <aside
      className="notice notice-info preview-banner"
      aria-label="Preview"
      data-testid="preview-banner"
    >
      <strong>Preview as a learner.</strong> This is exactly what learners see, signed in or
      not.{" "}
      <Link href={back}>Back to editing</Link>
    </aside>
  );
}
