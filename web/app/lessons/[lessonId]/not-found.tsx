import { RouteNotFound } from "@/components/learner/RouteNotFound";

export default function LessonNotFound() {
  return <RouteNotFound what="Lesson" />;
}
