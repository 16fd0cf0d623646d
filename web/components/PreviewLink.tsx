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
