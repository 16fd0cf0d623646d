"use client";

import { useEffect, useRef, useState } from "react";

export interface ActionMessage {
  text: string;
  tone: "success" | "error";
}

/**
 * What the last action on the page did, said next to where it was done and focused there (the
 * control that was used is gone): `tell` says it, `clear` withdraws it. A new upload starting
 * from this tab withdraws it too: it no longer stands.
 */
export function useActionMessage(uploadingHere: boolean) {
  const [said, setSaid] = useState<ActionMessage | null>(null);
  const ref = useRef<HTMLParagraphElement>(null);
  const focusSaid = useRef(false);

  useEffect(() => {
    if (said !== null && focusSaid.current) {
      focusSaid.current = false;
      ref.current?.focus();
    }
  }, [said]);

  const [wasUploading, setWasUploading] = useState(uploadingHere);
  if (uploadingHere !== wasUploading) {
    setWasUploading(uploadingHere);
    if (uploadingHere) setSaid(null);
  }

  const tell = (text: string, tone: ActionMessage["tone"] = "success") => {
    focusSaid.current = true;
    setSaid({ text, tone });
  };
  return { said, ref, tell, clear: () => setSaid(null) };
}
