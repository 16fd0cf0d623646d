"use client";

import { useEffect } from "react";

import { installLeaveGuard } from "@/lib/leaveGuard";

/** Asks before leaving a page that has work in progress (see `useLeaveGuard`). */
export function LeaveGuard() {
  useEffect(installLeaveGuard, []);
  return null;
}
