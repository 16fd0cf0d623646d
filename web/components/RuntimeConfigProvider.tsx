"use client";

import type { ReactNode } from "react";

import type { RuntimeConfig } from "@/lib/config";
import { RuntimeConfigContext } from "@/lib/hooks/useRuntimeConfig";

/** Hands the configuration the server read from its environment to the browser's code
 * (`useRuntimeConfig`). */
export function RuntimeConfigProvider({
  config,
  children,
}: {
  config: RuntimeConfig;
  children: ReactNode;
}) {
  return <RuntimeConfigContext.Provider value={config}>{children}</RuntimeConfigContext.Provider>;
}
