import { RouteNotFound } from "@/components/learner/RouteNotFound";

export default function CourseNotFound() {
  return <RouteNotFound what="Course" />;
}
