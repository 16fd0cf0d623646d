/**
 * The service's JSON as TypeScript types, written once: what the REST client (`rest.ts`) and
 * the live streams (`streams.ts`) return, and what pages pass around. No code, only shapes and
 * the limits the service enforces.
 */

export type VideoStatus =
  | "draft"
  | "uploading"
  | "processing"
  | "published"
  | "errored"
  | "cancelled";

/** `GET /api/lessons/{id}/video`, and each `video` event of the live stream. */
export interface LessonVideo {
  lessonId: string;
  status: VideoStatus;
  playbackId: string | null;
  playbackPolicy: "public" | "signed" | "drm" | null;
  durationSeconds: number | null;
  aspectRatio: string | null;
  /** What Mux said when the video failed (`errored`), else null. */
  error: string | null;
  statusChangedAt: string;
  /** A short-lived playback token, present when the policy is `signed`. */
  playbackToken?: string;
  /** Thumbnail and storyboard of the playing video (signed URLs when the policy is signed). */
  thumbnailUrl: string | null;
  storyboardUrl: string | null;
  /** Generated subtitles of the published video. */
  captions: Caption[];
  /** MP4 downloads of the published video; `url` once the rendition is ready. */
  downloads: Download[];
}

/** Who may watch, the author's decision (issue 28): a learner sees a lesson only when its
 * course and it are `public` and its video is `published`. New courses and lessons are drafts. */
export type Visibility = "draft" | "public";

export interface Caption {
  trackId: string;
  languageCode: string;
  name: string;
  status: "preparing" | "ready" | "errored" | "skipped";
}

export interface Download {
  name: string;
  resolution: string | null;
  url: string | null;
  status: "preparing" | "ready" | "errored" | "skipped";
}

export interface Lesson {
  lessonId: string;
  courseId: string;
  title: string;
  description: string | null;
  position: number;
  /** Counts edits of the title and description: what `If-Match` names (the `ETag`). */
  revision: number;
  visibility: Visibility;
  video: LessonVideo;
}

/** `GET /api/lessons/{id}`: `editable` is true when the caller owns the course. */
export interface LessonDetail extends Lesson {
  editable: boolean;
  /** Its course's visibility: learners see the lesson only when that is `public` too. */
  courseVisibility: Visibility;
}

/** A course's own fields, as every course route returns them. */
export interface CourseFields {
  courseId: string;
  title: string;
  description: string | null;
  visibility: Visibility;
  revision: number;
  createdAt: string;
  updatedAt: string;
}

/** `GET /api/courses/{id}`: the lessons the caller may see, in order (its owner: all). */
export interface Course extends CourseFields {
  editable: boolean;
  lessons: Lesson[];
}

/** A signed-in learner's place in a lesson (`PUT /api/lessons/{id}/progress`). */
export interface Progress {
  positionSeconds: number;
  completed: boolean;
}

/** A lesson as `GET /api/courses/{id}` gives it: with the signed-in caller's progress (null
 * when none, and for an anonymous caller). */
export interface LearnerLesson extends Lesson {
  progress?: Progress | null;
}

/** `GET /api/courses/{id}` with each lesson's progress, as the learner's pages read it. */
export interface LearnerCourse extends Course {
  lessons: LearnerLesson[];
}

/** `GET /api/courses`: one of the caller's own courses, its lessons counted by status. */
export interface CourseSummary extends CourseFields {
  lessonCount: number;
  lessonsByStatus: Record<VideoStatus, number>;
  /** How many of its lessons the author made public. */
  publicLessons: number;
}

/** `GET /api/catalog`: a course anyone may open (it has a published lesson). */
export interface CatalogCourse extends CourseFields {
  publishedLessons: number;
  firstLesson: { lessonId: string; title: string; thumbnailUrl: string | null };
}

/** What an author writes about a course or a lesson (the service trims and checks both). */
export interface WrittenFields {
  title?: string;
  /** Empty or null means none. */
  description?: string | null;
}

/** `POST /api/mux/upload`: the lesson already carries the upload; PUT the file to `url`. */
export interface UploadTicket {
  uploadId: string;
  url: string;
  lessonId: string;
  status: "uploading";
  /** The lesson's video as it now is; absent from a service older than 2026-12-07. */
  video?: LessonVideo;
}

export interface ServiceClient {
  /** The service's base URL, e.g. `https://lessons.example.com`. */
  baseUrl: string;
  /** The Supabase access token of the signed-in user, if any. */
  accessToken: string | null;
}

export type Connection = "connecting" | "live" | "reconnecting";

/** A lesson as the course stream lists it (its video comes in `video` events). */
export interface CourseLessonEntry {
  lessonId: string;
  title: string;
  position: number | null;
  /** The lesson's visibility (the owner's stream; learners only ever see `public`). */
  visibility?: Visibility;
}

/** The `lessons` event of the course stream: the lessons the caller may see, in order. */
export interface CourseListing {
  courseId: string;
  title: string;
  lessons: CourseLessonEntry[];
}


/** A lesson of the signed-in author, as `GET /api/me/events` lists them. */
export interface MyLessonEntry {
  lessonId: string;
  courseId: string;
  title: string;
  /** Counts edits of the title and description. */
  revision: number;
  status: VideoStatus;
  videoVersion: number;
  visibility: Visibility;
  courseVisibility: Visibility;
}

/** A `video` event of `GET /api/me/events`: the video JSON with its lesson's course, title
 * and `videoVersion` (which grows with every change of the video). */
export interface MyLessonVideo extends LessonVideo {
  courseId: string;
  title: string;
  /** Counts edits of the title and description: sent again when it grows. */
  revision: number;
  videoVersion: number;
  visibility: Visibility;
  courseVisibility: Visibility;
  /** Public, in a public course, its video published: learners see it now. */
  visibleToLearners: boolean;
}

