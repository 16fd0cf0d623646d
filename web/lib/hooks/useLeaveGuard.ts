"use client";

import { useEffect, useId } from "react";

import { setLeaveWarning, type Scope } from "@/lib/leaveWarnings";

/** While `active`, leaving (the page, or with `app` the app) asks first with `message`
 * (see lib/leaveWarnings.ts). */
export function useLeaveGuard(active: boolean, message: string, scope: Scope = "page"): void {
  const id = useId();
  useEffect(() => {
    if (!active) return;
    setLeaveWarning(id, { message, scope });
    return () => setLeaveWarning(id, null);
  }, [active, id, message, scope]);
}
