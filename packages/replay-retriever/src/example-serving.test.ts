import { InMemoryLessonMemory, createLexicalEmbedder } from "@lessonloop/core";
import { describe, expect, it } from "vitest";
import type { ExampleQuery, ExampleSource, ExperienceExample } from "./example-source.js";
import { estimateTokens, renderLessonContext } from "./lesson-context.js";
import { createLessonSelector } from "./lesson-selection.js";
import { REFUND_REQUEST, refundLesson } from "./tests/agent-graph.js";

const embedder = createLexicalEmbedder();
const scope = { tenant: "acme" };

function example(id: string, score: number, lines = 3): ExperienceExample {
  return { id, input: `Refund order ${id}, it was charged twice`, steps: Array.from({ length: lines }, (_, index) => `call lookup_order({"id":${index}})`), score };
}

/** A source that answers with `examples` and keeps what it was asked. */
function sourceOf(examples: ExperienceExample[]): ExampleSource & { queries: ExampleQuery[] } {
  const queries: ExampleQuery[] = [];
  return { queries, findExamples: async (query) => (queries.push(query), examples.slice(0, query.k)) };
}

async function memoryWithLesson(): Promise<InMemoryLessonMemory> {
  const memory = new InMemoryLessonMemory({ embedder });
  await memory.commit({ add: [refundLesson("refund-duplicate-only")], reason: "learned", author: "tester" });
  return memory;
}

describe("examples beside lessons", () => {
  it("asks the source for the examples valid at the run's pinned version, and for live ones at the head", async () => {
    const examples = sourceOf([example("a", 0.9)]);
    const select = createLessonSelector({ memory: await memoryWithLesson(), examples });
    await select({ text: REFUND_REQUEST, scope, version: 1 });
    await select({ text: REFUND_REQUEST, scope });
    expect(examples.queries.map((query) => query.version)).toEqual([1, undefined]);
  });

  it("keeps the examples within their share of the budget, after the lessons", async () => {
    const memory = await memoryWithLesson();
    const found = [example("a", 0.9, 6), example("b", 0.8, 6)];
    const budget = 400;
    const lessonTokens = estimateTokens(renderLessonContext({ lessons: (await createLessonSelector({ memory })({ text: REFUND_REQUEST, scope })).lessons, examples: [] }));
    for (const exampleShare of [0, 0.25, 0.5, 1]) {
      const selection = await createLessonSelector({ memory, examples: sourceOf(found), budget, exampleShare })({ text: REFUND_REQUEST, scope });
      expect(selection.lessons.map((served) => served.lesson.id)).toEqual(["refund-duplicate-only"]);
      const tokens = estimateTokens(renderLessonContext(selection));
      expect(tokens).toBeLessThanOrEqual(budget);
      expect(tokens - lessonTokens).toBeLessThanOrEqual(Math.floor(budget * exampleShare));
      if (exampleShare === 0) expect(selection.examples).toEqual([]);
      if (exampleShare === 1) expect(selection.examples.map((served) => served.id)).toEqual(["a", "b"]);
    }
    // Not vacuous: a middle share serves fewer than all.
    const half = await createLessonSelector({ memory, examples: sourceOf(found), budget: 200, exampleShare: 0.5 })({ text: REFUND_REQUEST, scope });
    expect(half.examples.map((served) => served.id)).toEqual(["a"]);
  });

  it("never serves an example whose task is less similar than minExampleRelevance", async () => {
    const select = createLessonSelector({ memory: await memoryWithLesson(), examples: sourceOf([example("close", 0.6), example("far", 0.1)]), minExampleRelevance: 0.2 });
    expect((await select({ text: REFUND_REQUEST, scope })).examples.map((served) => served.id)).toEqual(["close"]);
  });
});
