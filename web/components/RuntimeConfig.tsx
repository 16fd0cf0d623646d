"use client";

import { createContext, useContext, type ReactNode } from "react";

import type { RuntimeConfig } from "@/lib/config";

const Context = createContext<RuntimeConfig | null>(null);

export function RuntimeConfigProvider({
  config,
  children,
}: {
  config: RuntimeConfig;
  children: ReactNode;
}) {
  return <Context.Provider value={config}>{children}</Context.Provider>;
}

export function useRuntimeConfig(): RuntimeConfig {
  const config = useContext(Context);
  if (config === null) throw new Error("useRuntimeConfig outside RuntimeConfigProvider");
  return config;
}
