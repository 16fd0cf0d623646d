import { NextResponse, type NextRequest } from "next/server";

import { readRuntimeConfig } from "@/lib/config";
import { missingPage } from "@/lib/pageAccess";
import { STATIC_HEADERS, contentSecurityPolicy } from "@/lib/securityHeaders";
import { proxySession } from "@/lib/sessionRefresh";

/**
 * Every page: a Content-Security-Policy with a fresh nonce, built at request time from the
 * run-time configuration, on the response and on the request (where Next.js reads the nonce
 * for the scripts it renders), plus nosniff, no framing and a strict Referrer-Policy. A
 * Supabase session about to expire is refreshed first, so the page renders as its user; a
 * lesson or course page the viewer may not see is answered with a 404 status.
 */
export async function proxy(request: NextRequest) {
  const result = readRuntimeConfig();
  const session = await proxySession(request, result);
  for (const { name, value } of session.cookies) request.cookies.set(name, value);
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  const policy = contentSecurityPolicy(result, nonce);
  const headers = new Headers(request.headers);
  headers.set("Content-Security-Policy", policy);
  // Documents only: an in-app navigation (an RSC request) needs no status; its page says it.
  const document = request.headers.get("rsc") === null;
  const missing =
    result.ok && document
      ? await missingPage(request.nextUrl.pathname, result.config, session.accessToken)
      : null;
  // A page the viewer may not see says "not found" itself; it is sent with a 404 status.
  const response = NextResponse.next({ request: { headers }, ...(missing ? { status: 404 } : {}) });
  response.headers.set("Content-Security-Policy", policy);
  for (const { key, value } of STATIC_HEADERS) response.headers.set(key, value);
  for (const { name, value, options } of session.cookies) response.cookies.set(name, value, options);
  return response;
}

export const config = {
  // Pages only: built assets need no policy of their own (next.config.ts gives them the rest).
  matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
};
