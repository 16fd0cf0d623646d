import { ApiError } from "@/lib/api/apiError";

/** A failure as said to the author: the service's message (with when to try again), or a
 * plain "Something went wrong". */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.retryAfterSeconds !== null && !/try again/i.test(error.message)) {
      return `${error.message} (You can try again in ${error.retryAfterSeconds} s.)`;
    }
    return error.message;
  }
  return "Something went wrong. Try again.";
}
