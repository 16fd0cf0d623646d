import Link from "next/link";

/** The catalog's heading for someone not signed in: what the site is, and the way in for
 * those who teach. The server-rendered catalog and the home page signed out both open so. */
export function CatalogIntro() {
  return (
    <section className="intro">
      <h1>Courses</h1>
      <p className="lead">
        Watch the published courses below. Teaching? <Link href="/sign-in">Sign in</Link> or{" "}
        <Link href="/sign-in?mode=sign-up">create an account</Link> to publish your own video
        lessons.
      </p>
    </section>
  );
}
