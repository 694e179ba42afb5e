// The live index against the in-memory backend's own search; the same property on a real Chroma server is @lessonloop/chroma's live-index.int.test.ts.
import { describe, expect, it } from "vitest";
import { describeLiveIndexProperty, lessonFixture } from "./conformance/index.js";
import { cosineSimilarity } from "./embedder.js";
import { InMemoryLessonMemory } from "./in-memory-lesson-memory.js";
import { LessonSchema } from "./lesson.js";
import type { ScoredLesson } from "./lesson-memory.js";
import { LiveLessonIndex } from "./live-lesson-index.js";
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

  it("moves by its own commits at once, from the records written, and answers as the backend does", async () => {
    const reference = new InMemoryLessonMemory({ embedder, freshnessMs: 0 });
    const memory = new InMemoryLessonMemory({ embedder, sharing: reference, freshnessMs: 0, liveIndexLessons: 100 });
    await memory.commit({ add: [lessonFixture("one"), lessonFixture("two", { scope: { tenant: "acme", user: "ana" }, tools: ["send_email"] })], reason: "two", ...author });
    await memory.liveIndexSettled();
    const writes = [
      () => memory.commit({ add: [lessonFixture("three", { supersedes: ["one"], kind: "constraint" })], reason: "three", ...author }),
      () => memory.commit({ add: [lessonFixture("four", { scope: { tenant: "acme", user: "bo" } })], retire: ["two"], reason: "four", ...author }),
      () => memory.rollback({ to: 2, reason: "undo four", ...author }),
      () => memory.revert({ lessons: ["three"], reason: "undo three", ...author }),
    ];
    for (const write of writes) {
      const { version } = await write();
      // Every write but the revert (which makes "one" live again, a record it did not write) moves the index before it returns.
      if (version !== 5) expect(memory.liveIndexStats?.version).toBe(version);
      await memory.liveIndexSettled();
      for (const scope of [{ tenant: "acme" }, { tenant: "acme", user: "ana" }, { tenant: "acme", user: "bo" }]) {
        const request = { query: "one two three four happens", scope, k: 5, tools: ["send_email"] };
        // The index holds vectors in float32, so lessons of equal scores may come in either order.
        const byId = (hits: ScoredLesson[]) => [...hits].sort((a, b) => (a.lesson.id < b.lesson.id ? -1 : 1));
        const [fromIndex, fromBackend] = [byId(await memory.search(request)), byId(await reference.search({ ...request, version }))];
        expect(fromIndex.map((hit) => hit.lesson)).toEqual(fromBackend.map((hit) => hit.lesson));
        fromIndex.forEach((hit, rank) => expect(hit.score).toBeCloseTo(fromBackend[rank]?.score ?? Number.NaN, 6));
      }
    }
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

describe("LiveLessonIndex packing", () => {
  const DIMENSIONS = 64;
  /** A vector with about `density` of its values nonzero, from a seeded sequence. */
  const vectorOf = (seed: number, density: number) =>
    Array.from({ length: DIMENSIONS }, (_, dimension) => {
      const hash = Math.sin(seed * 97.13 + dimension * 12.9898) * 43_758.5453;
      const unit = hash - Math.floor(hash);
      return unit < density ? unit * 2 - 0.7 : 0;
    });
  const record = (id: string, density: number, user?: string) => ({
    lesson: LessonSchema.parse(lessonFixture(id, { scope: user === undefined ? { tenant: "acme" } : { tenant: "acme", user } })),
    vector: vectorOf(Number(id.slice(1)), density),
  });
  /** Every applicable live lesson by cosine similarity, then id: what a search must return. */
  const expected = (live: Map<string, ReturnType<typeof record>>, query: number[], user: string | undefined, k: number) =>
    [...live.values()]
      .filter((entry) => entry.lesson.scope.user === undefined || entry.lesson.scope.user === user)
      .map((entry) => ({ id: entry.lesson.id, score: cosineSimilarity(query, entry.vector) }))
      .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
      .slice(0, k);

  it("answers exactly as a scan of every vector, packed sparse or dense, as lessons come and go", () => {
    const index = new LiveLessonIndex(0, DIMENSIONS);
    const live = new Map<string, ReturnType<typeof record>>();
    // Sparse lessons first, then dense ones (the tenant repacks dense), then most dense ones go (sparse again).
    const steps: { add: ReturnType<typeof record>[]; remove: string[] }[] = [
      { add: Array.from({ length: 40 }, (_, n) => record(`l${n}`, 0.1, n % 3 === 0 ? "ana" : undefined)), remove: [] },
      { add: Array.from({ length: 60 }, (_, n) => record(`l${100 + n}`, 1, n % 4 === 0 ? "bo" : undefined)), remove: ["l3", "l4"] },
      { add: [record("l5", 1)], remove: Array.from({ length: 55 }, (_, n) => `l${100 + n}`) },
      // Small changes stay beside the packed lessons (and replace one of them), then go from both.
      { add: [record("l200", 0.1, "ana"), record("l201", 0.1), record("l6", 0.1)], remove: [] },
      { add: [record("l202", 0.1, "bo")], remove: ["l200", "l7"] },
    ];
    steps.forEach(({ add, remove }, version) => {
      index.apply(version + 1, remove, add);
      for (const id of remove) live.delete(id);
      for (const entry of add) live.set(entry.lesson.id, entry);
      expect(index.size).toBe(live.size);
      for (const [seed, user] of [[1_001, undefined], [1_002, "ana"], [1_003, "bo"]] as const) {
        for (const density of [0.1, 1]) {
          const query = vectorOf(seed, density);
          const hits = index.search({ vector: query, scope: { tenant: "acme", ...(user === undefined ? {} : { user }) }, k: 7 });
          const want = expected(live, query, user, 7);
          expect(hits.map((hit) => hit.lesson.id)).toEqual(want.map((hit) => hit.id));
          hits.forEach((hit, rank) => expect(hit.score).toBeCloseTo(want[rank]?.score ?? Number.NaN, 5));
        }
      }
    });
  });
});
