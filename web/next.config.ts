import type { NextConfig } from "next";

// Nothing here is read from the environment: the service URL, Supabase project and playback
// override are read at request time (see lib/config.ts), so one build serves any deployment.
const nextConfig: NextConfig = {
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
