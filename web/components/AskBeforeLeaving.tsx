"use client";

import { useEffect } from "react";

import { installLeaveWarnings } from "@/lib/leaveWarnings";

/** Mounted once in the root layout: asks before a page with work in progress is left (the
 * warnings themselves are registered with `useLeaveGuard`, lib/hooks/useLeaveGuard.ts). */
export function AskBeforeLeaving() {
  useEffect(installLeaveWarnings, []);
  return null;
}
