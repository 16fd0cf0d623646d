"use client";

import { useSyncExternalStore } from "react";

import {
  currentPermission,
  requestPermission,
  subscribePermission,
  type Permission,
} from "@/lib/notifications/permission";

/** Whether browser notifications are allowed, kept current, and a way to ask. */
export function useNotificationPermission(): {
  permission: Permission;
  request: () => Promise<Permission>;
} {
  const permission = useSyncExternalStore(
    subscribePermission,
    currentPermission,
    () => "unsupported" as const,
  );
  return { permission, request: requestPermission };
}
