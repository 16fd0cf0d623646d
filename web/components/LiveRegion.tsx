import type { ReactNode } from "react";

/**
 * A live region that is in the page before its text changes, so assistive technology reads
 * each change: render it always, with `null` children while there is nothing to say.
 * `urgent` for errors (`role="alert"`), else polite (`role="status"`).
 */
export function LiveRegion({
  children,
  urgent = false,
  className,
  testId,
}: {
  children: ReactNode;
  urgent?: boolean;
  className?: string;
  testId?: string;
}) {
  return (
    <div
      role={urgent ? "alert" : "status"}
      aria-live={urgent ? "assertive" : "polite"}
      className={className ? `live ${className}` : "live"}
      data-testid={testId}
    >
      {children}
    </div>
  );
}
