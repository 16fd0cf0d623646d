"use client";

import dynamic from "next/dynamic";

// The author's pages, code-split: rendered (on the server too) only for an author, so a
// learner's or a visitor's page never downloads the workspace, the editor or their forms.
export const AuthorHome = dynamic(() => import("@/components/Home").then((m) => m.Home));
export const AuthorCourse = dynamic(() =>
  import("@/components/CourseEditor").then((m) => m.CourseEditor),
);
export const AuthorLesson = dynamic(() =>
  import("@/components/LessonEditor").then((m) => m.LessonEditor),
);
