import type { RuntimeConfig } from "@/lib/config";

const PAGES: ReadonlyArray<{ pattern: RegExp; what: "Lesson" | "Course"; api: string }> = [
  { pattern: /^\/lessons\/([^/]+)$/, what: "Lesson", api: "/api/lessons/" },
  { pattern: /^\/courses\/([^/]+)$/, what: "Course", api: "/api/courses/" },
];

/**
 * For proxy.ts: whether the lesson or course a page shows is one the viewer may not see, as
 * the service answers when asked as them (404). Next.js sends a `notFound()` thrown by a page
 * as an empty shell filled in by JavaScript (vercel/next.js#62228), so the pages render "not
 * found" themselves and proxy.ts gives that answer its 404 status. Only a status: the page
 * decides what to show from its own reading.
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
