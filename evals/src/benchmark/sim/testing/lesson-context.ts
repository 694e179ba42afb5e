import { LessonSchema, type TrajectoryStep } from "@lessonloop/core";
import { condenseTrajectory } from "@lessonloop/core/internal";
import { renderLessonContext, type ExperienceExample, type ServedLesson } from "@lessonloop/replay-retriever";

const CREATED_AT = "2026-11-24T00:00:00.000Z";

/**
 * Lessons as an agent receives them from the replay-retriever: its default
 * rendering ("When: <trigger>" / "Do: <guidance>" per lesson, under a header).
 */
export function lessonContextOf(lessons: readonly { trigger: string; guidance: string }[], examples: readonly ExperienceExample[] = []): string {
  const served = lessons.map(({ trigger, guidance }, index): ServedLesson => {
    const lesson = LessonSchema.parse({
      id: `lesson-${index + 1}`,
      trigger,
      guidance,
      kind: "constraint",
      scope: { tenant: "acme" },
      provenance: { agent: "sim", model: "sim-learner", proposedAt: CREATED_AT },
      createdAt: CREATED_AT,
    });
    return { lesson, score: 1, relevance: 1, utility: 0.5, recency: 1, redundancy: 0, rank: 1 - index / 100 };
  });
  return renderLessonContext({ lessons: served, examples: [...examples] });
}

/** A successful run as the learning loop keeps it (condensed) and the retriever serves it. */
export function exampleOf(input: string, trajectory: readonly TrajectoryStep[], id = "example-1"): ExperienceExample {
  return { id, input, steps: condenseTrajectory(trajectory), score: 1 };
}
