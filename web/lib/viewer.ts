import { createServerClient } from "@supabase/ssr";
import { cookies, headers } from "next/headers";
import { cache } from "react";

import type { ServiceClient } from "@/lib/api/types";
import { readRuntimeConfig, type RuntimeConfig } from "@/lib/config";

/** Who is asking, as the server sees it: the service client to call as them (their Supabase
 * access token, from the session cookies `@supabase/ssr` keeps), and their user id. */
export interface Viewer {
  config: RuntimeConfig;
  client: ServiceClient;
  userId: string | null;
}

/**
 * The viewer of this request, read once per request (React's `cache`). The session comes from
 * the cookies the browser's supabase-js client writes (lib/supabase.ts), refreshed by
 * proxy.ts when it is about to expire; the service verifies the token, so nothing here is
 * trusted beyond choosing whom to ask as. A session that has expired anyway (Supabase Auth
 * unreachable) is treated as no session: the page renders as for anyone, and the browser's
 * client, once it has refreshed, asks for the page again (SessionSync).
 */
export const currentViewer = cache(async (): Promise<Viewer | null> => {
  const anonymous = anonymousViewer();
  if (anonymous === null) return null;
  const config = anonymous.config;
  const store = await cookies();
  if (!store.getAll().some(({ name }) => name.startsWith("sb-"))) return anonymous;
  const supabase = createServerClient(config.supabaseUrl, config.supabaseAnonKey, {
    cookies: {
      getAll: () => store.getAll(),
      setAll: () => {
        // A Server Component cannot set cookies; proxy.ts keeps them current.
      },
    },
    auth: { autoRefreshToken: false, detectSessionInUrl: false },
  });
  const { data } = await supabase.auth.getSession();
  const session = data.session;
  if (!session || (session.expires_at ?? 0) * 1000 <= Date.now()) return anonymous;
  return {
    config,
    client: { baseUrl: config.apiUrl, accessToken: session.access_token },
    userId: subjectOf(session.access_token),
  };
});

/** Anyone at all, signed in or not: what a page shows a visitor with no session ("Preview as
 * a learner" renders an author's pages so, without signing them out). */
export function anonymousViewer(): Viewer | null {
  const result = readRuntimeConfig();
  if (!result.ok) return null;
  const config = result.config;
  return { config, client: { baseUrl: config.apiUrl, accessToken: null }, userId: null };
}

/** The token's `sub` (read, not verified: only to tell the browser whom the page was for). */
function subjectOf(token: string): string | null {
  try {
    const payload: unknown = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());
    const sub = (payload as { sub?: unknown }).sub;
    return typeof sub === "string" ? sub : null;
  } catch {
    return null;
  }
}

/** This site's origin as the request reached it (`SITE_URL` overrides it): canonical URLs,
 * og:url, the sitemap. */
export async function siteOrigin(): Promise<string> {
  const configured = process.env.SITE_URL?.trim();
  if (configured) return configured.replace(/\/+$/, "");
  const incoming = await headers();
  const host = incoming.get("x-forwarded-host") ?? incoming.get("host") ?? "localhost";
  const proto = incoming.get("x-forwarded-proto") ?? "http";
  return `${proto.split(",")[0].trim()}://${host.split(",")[0].trim()}`;
}
