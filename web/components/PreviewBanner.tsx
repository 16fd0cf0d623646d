import Link from "next/link";

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
