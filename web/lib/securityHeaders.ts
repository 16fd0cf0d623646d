/**
 * The web app's security headers, from the same run-time configuration as the pages
 * (lib/config.ts), so one build serves any deployment. `proxy.ts` sends them with every page;
 * the Content-Security-Policy carries a fresh nonce per request, which Next.js puts on its own
 * scripts (it reads it from the request's policy).
 */

import type { ConfigResult } from "@/lib/config";

/** Where Mux serves what MuxPlayer and MuxUploader load (Mux's "granular CSP" guide). */
const MUX = {
  stream: ["https://*.mux.com"], // stream.mux.com manifests, CDN segments, storyboards
  image: ["https://image.mux.com"], // posters, thumbnails, storyboard sprites
  upload: ["https://storage.googleapis.com", "https://*.mux.com"], // direct upload URLs
  data: ["https://*.litix.io"], // Mux Data beacons (off with MUX_PLAYBACK_BASE_URL)
};

function origin(url: string): string {
  return new URL(url).origin;
}

/** The sources each directive allows beyond 'self', from the configuration. */
export function sources(result: ConfigResult) {
  if (!result.ok) return { connect: [], media: [], image: [] };
  const { apiUrl, supabaseUrl, playbackBaseUrl } = result.config;
  // With MUX_PLAYBACK_BASE_URL (the offline emulator) videos, thumbnails and upload URLs all
  // come from that one origin, and Mux Data is off; otherwise from Mux's hosts.
  const mux = playbackBaseUrl
    ? { stream: [origin(playbackBaseUrl)], image: [origin(playbackBaseUrl)], upload: [], data: [] }
    : MUX;
  return {
    connect: [origin(apiUrl), origin(supabaseUrl), ...mux.stream, ...mux.upload, ...mux.data],
    media: [...mux.stream],
    image: [...mux.image, ...mux.data],
  };
}

function unique(values: string[]): string {
  return [...new Set(values)].join(" ");
}

export function contentSecurityPolicy(result: ConfigResult, nonce: string): string {
  const allowed = sources(result);
  return [
    "default-src 'self'",
    // Next.js's scripts carry the nonce; what they load ('strict-dynamic') may run too
    // (its chunks, MuxPlayer and MuxUploader loaded on demand). No inline script else.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'`,
    // MuxPlayer's and MuxUploader's web components put <style> elements in their shadow
    // roots, which no nonce reaches: inline styles are allowed (no script can be).
    "style-src 'self' 'unsafe-inline'",
    `connect-src ${unique(["'self'", ...allowed.connect])}`,
    `media-src ${unique(["'self'", "blob:", ...allowed.media])}`, // blob: for MSE playback
    `img-src ${unique(["'self'", "data:", "blob:", ...allowed.image])}`,
    "worker-src 'self' blob:", // hls.js transmuxes in a worker made from a blob
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** Sent with every response (next.config.ts) as well as with every page (proxy.ts). */
export const STATIC_HEADERS: ReadonlyArray<{ key: string; value: string }> = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "X-Frame-Options", value: "DENY" },
  // Other sites learn only the origin a request came from (Mux's referrer restrictions
  // still see it), never a lesson's URL.
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
];
