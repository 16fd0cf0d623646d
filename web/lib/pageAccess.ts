import type { RuntimeConfig } from "@/lib/config";

/** A header proxy.ts sets on a request it rewrites to the not-found page: what was missing. */
export const MISSING_HEADER = "x-lessons-missing";

const PAGES: ReadonlyArray<{ pattern: RegExp; what: "Lesson" | "Course"; api: string }> = [
  { pattern: /^\/lessons\/([^/]+)$/, what: "Lesson", api: "/api/lessons/" },
  { pattern: /^\/courses\/([^/]+)$/, what: "Course", api: "/api/courses/" },
];

/**
 * For proxy.ts: whether the lesson or course a page shows is one the viewer may not see, as
 * the service answers when asked as them (404). Next.js renders a `notFound()` thrown by a
 * page as an empty shell filled in by JavaScript (vercel/next.js#62228), so a page that is
 * not found is answered here instead, by the not-found page with its content and a 404. Any
 * other answer (or none) lets the page render and say what happened itself.
 */
export async function missingPage(
  pathname: string,
  config: RuntimeConfig,
  accessToken: string | null,
): Promise<"Lesson" | "Course" | null> {
  for (const { pattern, what, api } of PAGES) {
    const match = pattern.exec(pathname);
    if (!match) continue;
    try {
      const response = await fetch(`${config.apiUrl}${api}${match[1]}`, {
        headers: accessToken ? { Authorization: `Bearer ${accessToken}` } : {},
        cache: "no-store",
      });
      await response.arrayBuffer(); // small JSON: read, so the connection is reused cleanly
      return response.status === 404 ? what : null;
    } catch {
      return null;
    }
  }
  return null;
}
