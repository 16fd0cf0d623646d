import { PreviewBanner } from "@/components/LearnerPreview";
import { LessonEditor } from "@/components/LessonEditor";

export default async function LessonPreviewPage({
  params,
}: {
  params: Promise<{ lessonId: string }>;
}) {
  const { lessonId } = await params;
  return (
    <>
      <PreviewBanner back={`/lessons/${lessonId}`} />
      <LessonEditor lessonId={lessonId} asLearner />
    </>
  );
}
