/**
 * Where to go after signing in: a path on this site, never another origin (W1).
 *
 * `next` comes from the URL, so anyone can write it. It must be a path starting with exactly
 * one `/`, with no backslash (browsers read `/\host` as `//host`) and no control character
 * (the URL parser drops tabs and newlines, so `/<TAB>/host` is `//host` too), and it must
 * resolve, against this origin, to this origin. Anything else goes to `/`.
 */
export function safeNext(next: string | null, origin: string): string {
  if (!next || !next.startsWith("/") || next.startsWith("//")) return "/";
  if (/[\\\u0000-\u001f\u007f-\u009f]/.test(next)) return "/";
  let target: URL;
  try {
    target = new URL(next, origin);
  } catch {
    return "/";
  }
  if (target.origin !== origin) return "/";
  return `${target.pathname}${target.search}${target.hash}`;
}
