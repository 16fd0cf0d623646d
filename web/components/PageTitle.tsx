import { APP_NAME } from "@/lib/appName";

/** The document's title (React 19 hoists `<title>` into `<head>`): "Baking — Lessons". Each
 * page renders exactly one, with the course or lesson title once it is loaded. */
export function PageTitle({ title }: { title: string | null }) {
  return <title>{title ? `${title} — ${APP_NAME}` : APP_NAME}</title>;
}
