/**
 * The invoice world's learning loop for integration tests: fresh collections on
 * the test Chroma server, the world's stored regression cases, and the loop's
 * events collected.
 */
import { ChromaEdgeCaseStore, ChromaLessonMemory } from "@lessonloop/chroma";
import { testChromaUrl, uniqueCollectionName } from "@lessonloop/chroma/testing";
import { createLexicalEmbedder, type EdgeCaseInput, type LessonMemory } from "@lessonloop/core";
import type { ProposedLesson } from "@lessonloop/learner";
import type { LearningEvent } from "../learning-events.js";
import { createLearningLoop, type LearningLoop, type LearningLoopParams } from "../learning-loop.js";
import { invoiceLoopParams, regressionCases } from "./invoice-world.js";

export interface OpenInvoiceLoopParams {
  /** Prefix of the memory's collection; the edge cases' is `<name>-cases`. */
  name: string;
  /** What the scripted learner proposes. Default the world's right lesson. */
  lesson?: ProposedLesson;
  /** The stored cases to add before the loop starts. Default the world's regression cases. */
  cases?: readonly EdgeCaseInput[];
  /** Wraps the Chroma memory before the loop gets it (e.g. to make it unreachable). */
  wrapMemory?: (memory: ChromaLessonMemory) => LessonMemory;
  /** Loop params over the world's. */
  params?: Partial<LearningLoopParams>;
}

const embedder = createLexicalEmbedder();

/** Opens the loop; the caller closes it. */
export async function openInvoiceLoop({
  name,
  lesson,
  cases = regressionCases(),
  wrapMemory = (memory) => memory,
  params = {},
}: OpenInvoiceLoopParams): Promise<{ loop: LearningLoop; events: LearningEvent[] }> {
  const url = testChromaUrl();
  const memory = wrapMemory(await ChromaLessonMemory.open({ url, name: uniqueCollectionName(name), embedder }));
  const edgeCaseStore = await ChromaEdgeCaseStore.open({ url, collection: uniqueCollectionName(`${name}-cases`), embedder });
  await edgeCaseStore.add(cases);
  const events: LearningEvent[] = [];
  const loop = await createLearningLoop({
    ...invoiceLoopParams(lesson),
    memory,
    edgeCaseStore,
    onEvent: (event) => events.push(event),
    ...params,
  });
  return { loop, events };
}
