import type { LessonVideo } from "@/lib/api/types";

/** Captions and downloads Mux made for the published video. */
export function MediaLinks({ video }: { video: LessonVideo }) {
  const captions = video.captions ?? [];
  const downloads = (video.downloads ?? []).filter((d) => d.url);
  if (captions.length === 0 && downloads.length === 0) return null;
  return (
    <ul className="media" data-testid="media">
      {captions.map((caption) => (
        <li key={caption.trackId}>
          Captions: {caption.name} ({caption.languageCode}) · {caption.status}
        </li>
      ))}
      {downloads.map((download) => (
        <li key={download.name}>
          <a href={download.url ?? undefined} download>
            Download {download.resolution ?? download.name}
          </a>
        </li>
      ))}
    </ul>
  );
}
