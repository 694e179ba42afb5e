import type { EdgeCase, Lesson } from "@lessonloop/core";
import type { LessonSelector } from "@lessonloop/replay-retriever";

/**
 * What memory serves on a stored case, for the validators' replays: chosen as
 * the agent's lessons are, by the case's task and the tools its episode used
 * (lessons anchored to them come whatever the words). A memory outage is an
 * error (the ensemble notes it), not "nothing applies".
 */
export function servedOnCases(select: LessonSelector) {
  return async (edgeCase: EdgeCase): Promise<Lesson[]> => {
    const { lessons, degraded } = await select({ text: edgeCase.input, scope: edgeCase.scope, ...(edgeCase.tools === undefined ? {} : { tools: edgeCase.tools }) });
    const memoryDown = degraded.find((entry) => entry.source === "memory");
    if (memoryDown !== undefined) throw memoryDown.error;
    return lessons.map((served) => served.lesson);
  };
}
