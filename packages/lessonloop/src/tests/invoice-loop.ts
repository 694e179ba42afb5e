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
  /** Collections to open instead of fresh ones, e.g. those of another loop sharing its memory (its stored cases are not added again). */
  collections?: { memory: string; cases: string };
}

const embedder = createLexicalEmbedder();

/** Opens the loop; the caller closes it. */
export async function openInvoiceLoop({
  name,
  lesson,
  cases = regressionCases(),
  wrapMemory = (memory) => memory,
  params = {},
  collections,
}: OpenInvoiceLoopParams): Promise<{ loop: LearningLoop; events: LearningEvent[]; collections: { memory: string; cases: string } }> {
  const url = testChromaUrl();
  const names = collections ?? { memory: uniqueCollectionName(name), cases: uniqueCollectionName(`${name}-cases`) };
  const memory = wrapMemory(await ChromaLessonMemory.open({ url, name: names.memory, embedder }));
  const edgeCaseStore = await ChromaEdgeCaseStore.open({ url, collection: names.cases, embedder });
  if (collections === undefined) await edgeCaseStore.add(cases);
  const events: LearningEvent[] = [];
  const loop = await createLearningLoop({
    ...invoiceLoopParams(lesson),
    memory,
    edgeCaseStore,
    onEvent: (event) => events.push(event),
    ...params,
  });
  return { loop, events, collections: names };
}
