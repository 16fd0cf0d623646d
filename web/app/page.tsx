import Link from "next/link";

export default function Home() {
  return (
    <section className="panel">
      <h1>Lessons</h1>
      <p>
        Open a lesson at <code>/lessons/&lt;lesson id&gt;</code> to upload its video and watch it
        publish, or a course at <code>/courses/&lt;course id&gt;</code> to see every lesson&apos;s
        status live.
      </p>
      <p>
        <Link href="/sign-in">Sign in</Link> with your account to edit your lessons.
      </p>
    </section>
  );
}
