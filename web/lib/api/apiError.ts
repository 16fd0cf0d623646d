/**
 * Every failure of the service client: an `ApiError` with the service's stable `code` and a
 * message fit to show a user (`{"error": {"code", "message"}}` on the wire), including "cannot
 * reach the service" (`UNREACHABLE`).
 */

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** The request field a 422 `invalid_request` is about (`title`, `description`...). */
  readonly field: string | null;
  /** Seconds to wait before trying again (`Retry-After`, on 429 and some 503s). */
  readonly retryAfterSeconds: number | null;
  /** What is current, on a 409: the lesson or course (`edit_conflict`), the lesson ids in
   * order (`order_mismatch`). */
  readonly current: unknown;

  constructor(
    status: number,
    code: string,
    message: string,
    field: string | null = null,
    retryAfterSeconds: number | null = null,
    current: unknown = null,
  ) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfterSeconds = retryAfterSeconds;
    this.current = current;
  }
}

export const UNREACHABLE = "service_unreachable";

const FALLBACK_MESSAGES: Record<number, string> = {
  401: "Your session has ended. Sign in again.",
  403: "You may not do that.",
  404: "Not found.",
  409: "That conflicts with the lesson's current video.",
  429: "Too many requests. Wait a moment and try again.",
  502: "Mux could not be reached. Try again shortly.",
  503: "The lesson service is busy or its database is unavailable. Try again shortly.",
};

export async function errorFrom(response: Response): Promise<ApiError> {
  const retryAfter = Number(response.headers.get("retry-after"));
  const retryAfterSeconds = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null;
  let code = `http_${response.status}`;
  let message = FALLBACK_MESSAGES[response.status] ?? `The service answered ${response.status}.`;
  let field: string | null = null;
  let current: unknown = null;
  try {
    const body: unknown = await response.json();
    const error = (
      body as { error?: { code?: unknown; message?: unknown; field?: unknown; current?: unknown } }
    ).error;
    if (error && typeof error.code === "string") code = error.code;
    if (error && typeof error.message === "string" && error.message) message = error.message;
    if (error && typeof error.field === "string") field = error.field;
    if (error && error.current !== undefined) current = error.current;
  } catch {
    // Not JSON (a proxy's error page): keep the fallback message.
  }
  return new ApiError(response.status, code, message, field, retryAfterSeconds, current);
}
