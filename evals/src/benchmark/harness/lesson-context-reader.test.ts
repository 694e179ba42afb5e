import { InMemoryLessonMemory, LessonSchema, createLexicalEmbedder } from "@lessonloop/core";
import { createManualClock } from "@lessonloop/core/testing";
import { createReplayRetriever, estimateTokens, type ExampleSource } from "@lessonloop/replay-retriever";
import { describe, expect, it } from "vitest";
import type { Task } from "../environments/world.js";
import { createLessonContextReader, type ServedParts } from "./lesson-context-reader.js";

const embedder = createLexicalEmbedder();
const scope = { tenant: "acme" };
const CREATED_AT = "2026-11-24T00:00:00.000Z";
const task: Task = { id: "api-drift#3", index: 3, kind: "invoice", request: "Invoice customer C-351 for order O-7790: 110.94 EUR, due 2026-11-19.", scope };

const examples: ExampleSource = {
  findExamples: async () => [
    { id: "example-api-drift.1", input: "Invoice customer C-310 for order O-8690: 275.94 EUR, due 2026-12-03.", steps: ['call create_invoice({"amount_minor":27594})', "assistant: Invoice sent."], score: 0.9 },
  ],
};

async function readerServing(serve: ServedParts) {
  const memory = new InMemoryLessonMemory({ embedder });
  const lesson = LessonSchema.parse({
    id: "invoice-cents",
    trigger: "When invoicing a customer (create_invoice)",
    guidance: 'Send "amount_minor" in cents instead of "amount".',
    kind: "constraint",
    scope,
    provenance: { agent: "test", model: "test", proposedAt: CREATED_AT },
    createdAt: CREATED_AT,
  });
  await memory.commit({ add: [lesson], reason: "learned", author: "test" });
  const clock = createManualClock(CREATED_AT);
  return createLessonContextReader({
    memory,
    clock,
    budget: 600,
    onWarning: () => {},
    serve,
    createRetriever: (params) => createReplayRetriever({ ...params, memory, examples }),
  });
}

describe("the benchmark's lesson context reader", () => {
  it("shows the lessons, the examples or both, and splits the context's tokens between them", async () => {
    const lessons = await (await readerServing("lessons"))(task);
    expect(lessons.servedLessons).toEqual(["invoice-cents"]);
    expect(lessons.text).not.toContain("Example 1.");
    expect(lessons.examples).toEqual({ ids: [], lessonTokens: estimateTokens(lessons.text), exampleTokens: 0 });

    const both = await (await readerServing("lessons-and-examples"))(task);
    expect(both.servedLessons).toEqual(["invoice-cents"]);
    expect(both.text).toContain("Example 1. Task: Invoice customer C-310");
    expect(both.examples?.ids).toEqual(["example-api-drift.1"]);
    expect(both.examples?.lessonTokens).toBe(lessons.examples?.lessonTokens);
    expect((both.examples?.lessonTokens ?? 0) + (both.examples?.exampleTokens ?? 0)).toBe(estimateTokens(both.text));

    const only = await (await readerServing("examples"))(task);
    // No lesson is shown, so none is credited with the outcome.
    expect(only.servedLessons).toEqual([]);
    expect(only.text).not.toContain("Lessons learned");
    expect(only.text).toContain("Example 1.");
    expect(only.examples).toEqual({ ids: ["example-api-drift.1"], lessonTokens: 0, exampleTokens: estimateTokens(only.text) });
  });
});
