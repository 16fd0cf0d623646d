"use client";

import { createContext, useContext } from "react";

import type { RuntimeConfig } from "@/lib/config";

/** The configuration the server read from its environment (`RuntimeConfigProvider`). */
export const RuntimeConfigContext = createContext<RuntimeConfig | null>(null);

export function useRuntimeConfig(): RuntimeConfig {
  const config = useContext(RuntimeConfigContext);
  if (config === null) throw new Error("useRuntimeConfig outside RuntimeConfigProvider");
  return config;
}
