import type { MetadataRoute } from "next";

import { siteOrigin } from "@/lib/viewer";

export const dynamic = "force-dynamic";

/** Crawlers may read the public pages; the sign-in page is no use to them. */
export default async function robots(): Promise<MetadataRoute.Robots> {
  const origin = await siteOrigin();
  return {
    rules: [{ userAgent: "*", allow: "/", disallow: ["/sign-in"] }],
    sitemap: `${origin}/sitemap.xml`,
  };
}
