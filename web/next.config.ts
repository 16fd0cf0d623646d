import type { NextConfig } from "next";

import { STATIC_HEADERS } from "./lib/securityHeaders";

// Nothing here is read from the environment: the service URL, Supabase project and playback
// override are read at request time (see lib/config.ts), so one build serves any deployment.
// The Content-Security-Policy is built per request too, in proxy.ts.
const nextConfig: NextConfig = {
  poweredByHeader: false,
  reactStrictMode: true,
  async headers() {
    return [{ source: "/:path*", headers: [...STATIC_HEADERS] }];
  },
};

export default nextConfig;
