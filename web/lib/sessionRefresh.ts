import { createServerClient } from "@supabase/ssr";
import type { NextRequest } from "next/server";

import type { ConfigResult } from "@/lib/config";

export interface CookieToSet {
  name: string;
  value: string;
  options: Record<string, unknown>;
}

/**
 * For proxy.ts: when the request carries a Supabase session cookie, `@supabase/ssr` reads it
 * and, if the access token is about to expire, refreshes it (the one place that can set
 * cookies before a page renders). Returns the cookies to set, for the request the page sees
 * and for the response (none when nothing changed), and the access token to ask as.
 */
export async function proxySession(
  request: NextRequest,
  config: ConfigResult,
): Promise<{ cookies: CookieToSet[]; accessToken: string | null }> {
  const none = { cookies: [], accessToken: null };
  if (!config.ok) return none;
  if (!request.cookies.getAll().some(({ name }) => name.startsWith("sb-"))) return none;
  const changed: CookieToSet[] = [];
  const supabase = createServerClient(config.config.supabaseUrl, config.config.supabaseAnonKey, {
    cookies: {
      getAll: () => request.cookies.getAll(),
      setAll: (cookies) => {
        changed.push(...(cookies as CookieToSet[]));
      },
    },
    auth: { autoRefreshToken: false, detectSessionInUrl: false },
  });
  try {
    const { data } = await supabase.auth.getSession(); // refreshes an expiring one (setAll)
    const session = data.session;
    const live = session && (session.expires_at ?? 0) * 1000 > Date.now();
    return { cookies: changed, accessToken: live ? session.access_token : null };
  } catch {
    return none; // Supabase Auth unreachable: the page renders for anyone (lib/viewer.ts)
  }
}
