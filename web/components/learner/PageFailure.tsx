import { PageTitle } from "@/components/PageTitle";
import type { ApiError } from "@/lib/api/apiError";

/** A server-rendered page whose data could not be read (the service down or busy). */
export function PageFailure({ what, error }: { what: string; error: ApiError }) {
  return (
    <section className="panel" data-testid="load-error" role="alert">
      <PageTitle title={`${what} unavailable`} />
      <h1>This page could not be loaded</h1>
      <p className="notice notice-error">{error.message}</p>
      <p className="muted">Reload the page to try again.</p>
    </section>
  );
}
