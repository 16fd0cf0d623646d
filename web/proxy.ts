import { NextResponse, type NextRequest } from "next/server";

import { readRuntimeConfig } from "@/lib/config";
import { STATIC_HEADERS, contentSecurityPolicy } from "@/lib/securityHeaders";

/**
 * Every page: a Content-Security-Policy with a fresh nonce, built at request time from the
 * run-time configuration, on the response and on the request (where Next.js reads the nonce
 * for the scripts it renders), plus nosniff, no framing and a strict Referrer-Policy.
 */
export function proxy(request: NextRequest) {
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  const policy = contentSecurityPolicy(readRuntimeConfig(), nonce);
  const headers = new Headers(request.headers);
  headers.set("Content-Security-Policy", policy);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("Content-Security-Policy", policy);
  for (const { key, value } of STATIC_HEADERS) response.headers.set(key, value);
  return response;
}

export const config = {
  // Pages only: built assets need no policy of their own (next.config.ts gives them the rest).
  matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
};
