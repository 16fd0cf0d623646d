import { Fragment } from "react";

import { paragraphsOf } from "@/lib/learner";

/** An author's description with its paragraphs and line breaks kept; text only, never HTML. */
export function Paragraphs({ text, className }: { text: string | null; className?: string }) {
  const paragraphs = paragraphsOf(text);
  if (paragraphs.length === 0) return null;
  return (
    <div className={className ?? "description"}>
      {paragraphs.map((lines, index) => (
        <p key={index}>
          {lines.map((line, i) => (
            <Fragment key={i}>
              {i > 0 && <br />}
              {line}
            </Fragment>
          ))}
        </p>
      ))}
    </div>
  );
}
