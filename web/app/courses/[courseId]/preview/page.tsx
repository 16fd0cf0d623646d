import { CourseView } from "@/components/CourseView";
import { PreviewBanner } from "@/components/LearnerPreview";

export default async function CoursePreviewPage({
  params,
}: {
  params: Promise<{ courseId: string }>;
}) {
  const { courseId } = await params;
  return (
    <>
      <PreviewBanner back={`/courses/${courseId}`} />
      <CourseView courseId={courseId} asLearner />
    </>
  );
}
