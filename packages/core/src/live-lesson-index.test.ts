// The live index against the in-memory backend's own search; the same property on a real Chroma server is @lessonloop/chroma's live-index.int.test.ts.
import { describe, expect, it } from "vitest";
import { describeLiveIndexProperty, lessonFixture } from "./conformance/index.js";
import { InMemoryLessonMemory } from "./in-memory-lesson-memory.js";
import { createLexicalEmbedder } from "./text/lexical-embedder.js";

const embedder = createLexicalEmbedder();

describeLiveIndexProperty({
  name: "InMemoryLessonMemory",
  createMemories: async () => {
    const reference = new InMemoryLessonMemory({ embedder, freshnessMs: 0 });
    const open = (liveIndexLessons = 0) => new InMemoryLessonMemory({ embedder, sharing: reference, freshnessMs: 0, liveIndexLessons });
    return { indexed: open(10_000), reference, writers: [open(), open()] };
  },
  runs: 60,
  maxSteps: 25,
});

describe("live index of a memory", () => {
  const author = { author: "tester" };

  it("loads at the head in the background, moves when a search finds the head moved, and leaves older versions to the backend", async () => {
    const memory = new InMemoryLessonMemory({ embedder, liveIndexLessons: 100 });
    await memory.commit({ add: [lessonFixture("one")], reason: "one", ...author });
    expect(memory.liveIndexStats).toBeUndefined();
    // The first search at the head is answered by the backend and starts the load.
    expect((await memory.search({ query: "one happens", scope: { tenant: "acme" }, k: 5 })).map((hit) => hit.lesson.id)).toEqual(["one"]);
    await memory.liveIndexSettled();
    expect(memory.liveIndexStats).toEqual({ version: 1, lessons: 1 });
    await memory.commit({ add: [lessonFixture("two")], reason: "two", ...author });
    await memory.rollback({ to: 1, reason: "undo two", ...author });
    await memory.search({ query: "two happens", scope: { tenant: "acme" }, k: 5 });
    await memory.liveIndexSettled();
    expect(memory.liveIndexStats).toEqual({ version: 3, lessons: 1 });
    // Version 2 is not the head: the backend answers it, with the lesson the head no longer has.
    expect((await memory.search({ query: "two happens", scope: { tenant: "acme" }, k: 5, version: 2 })).map((hit) => hit.lesson.id).sort()).toEqual(["one", "two"]);
    expect((await memory.search({ query: "two happens", scope: { tenant: "acme" }, k: 5 })).map((hit) => hit.lesson.id)).toEqual(["one"]);
  });

  it("stays off above its size, and searches still answer", async () => {
    const memory = new InMemoryLessonMemory({ embedder, liveIndexLessons: 2 });
    await memory.commit({ add: ["a", "b", "c"].map((id) => lessonFixture(id)), reason: "three", ...author });
    await memory.liveIndexSettled();
    expect(memory.liveIndexStats).toBeUndefined();
    expect(await memory.search({ query: "b happens", scope: { tenant: "acme" }, k: 3 })).toHaveLength(3);
    await memory.revert({ lessons: ["c"], reason: "fewer", ...author });
    await memory.liveIndexSettled();
    expect(memory.liveIndexStats).toEqual({ version: 2, lessons: 2 });
  });
});
