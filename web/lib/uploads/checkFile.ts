/**
 * Files refused before anything is asked of the service. An empty file would be "uploaded"
 * without a byte sent and leave the lesson `uploading` for good; a file the browser knows is
 * not a video (an image, a PDF, text) would only fail at Mux. A file of a type the browser does
 * not know is left for Mux to judge.
 */
export function refusalOf(file: File): string | null {
  if (file.size === 0) {
    return `«${file.name}» is empty (0 bytes). Choose the video file itself.`;
  }
  if (file.type !== "" && !file.type.startsWith("video/")) {
    return `«${file.name}» is not a video file (${file.type}). Choose a video, such as an MP4 or MOV file.`;
  }
  return null;
}
