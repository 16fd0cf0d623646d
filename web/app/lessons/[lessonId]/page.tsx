import { LessonEditor } from "@/components/LessonEditor";

export default async function LessonPage({ params }: { params: Promise<{ lessonId: string }> }) {
  const { lessonId } = await params;
  return <LessonEditor lessonId={lessonId} />;
}
