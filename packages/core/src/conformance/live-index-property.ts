import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LessonloopError } from "../errors.js";
import type { LessonKind } from "../lesson.js";
import type { LessonMemory, ScoredLesson } from "../lesson-memory.js";
import { formatScope, type Scope } from "../scope.js";
import { lessonFixture } from "./lesson-fixtures.js";

/** A memory that keeps a live index, as `VersionedLessonMemory` does when asked. */
export interface IndexedLessonMemory extends LessonMemory {
  liveIndexSettled(): Promise<void>;
  readonly liveIndexStats: { version: number; lessons: number } | undefined;
}

export interface LiveIndexPropertyParams {
  /** Shown in the suite's name, e.g. `ChromaLessonMemory`. */
  name: string;
  /**
   * Handles on one fresh, empty stored memory, as separate processes would open
   * it, all reading fresh: `indexed` with its live index on (large enough for
   * every history), `reference` without it, and two `writers`.
   */
  createMemories: () => Promise<{ indexed: IndexedLessonMemory; reference: LessonMemory; writers: readonly [LessonMemory, LessonMemory]; dispose?: () => Promise<void> }>;
  /** Histories generated. Default 30. */
  runs?: number;
  /** Most steps in one history. Default 20. */
  maxSteps?: number;
  /** Largest difference allowed between the two scores of one lesson (stores compute cosine in float32). Default 1e-5. */
  scoreTolerance?: number;
  seed?: number;
  timeoutMs?: number;
}

const SCOPES: readonly Scope[] = [
  { tenant: "acme" },
  { tenant: "acme", user: "ana" },
  { tenant: "acme", user: "bo" },
  { tenant: "acme", agent: "triage" },
  { tenant: "acme", user: "ana", agent: "triage" },
  { tenant: "globex" },
];
const KINDS: readonly LessonKind[] = ["recovery", "strategy", "preference", "constraint"];
const TOOLS = ["create_ticket", "issue_refund", "send_email"] as const;
const WORDS = ["refund", "invoice", "ticket", "priority", "label", "address", "currency", "email", "order", "customer", "late", "urgent"];

type Write =
  | { type: "commit"; scope: number; kind: number; tools: number[]; words: number[]; supersede: number | null }
  | { type: "revert"; pick: number }
  | { type: "rollback"; to: number; scope: number | null };

/** One step: a write by each writer, at once when `together` (so one of them loses its version and retries). */
interface Step {
  writes: [Write, Write | null];
  together: boolean;
}

const write: fc.Arbitrary<Write> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      type: fc.constant("commit" as const),
      scope: fc.nat(SCOPES.length - 1),
      kind: fc.nat(KINDS.length - 1),
      tools: fc.uniqueArray(fc.nat(TOOLS.length - 1), { maxLength: 2 }),
      words: fc.array(fc.nat(WORDS.length - 1), { minLength: 1, maxLength: 4 }),
      supersede: fc.option(fc.nat(), { nil: null }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("revert" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("rollback" as const), to: fc.nat(), scope: fc.option(fc.nat(SCOPES.length - 1), { nil: null }) }) },
);
const step: fc.Arbitrary<Step> = fc.record({ writes: fc.tuple(write, fc.option(write, { nil: null })), together: fc.boolean() });

interface Query {
  words: number[];
  scope: number;
  k: number;
  kinds: number[] | null;
  tools: number[];
}
const query: fc.Arbitrary<Query> = fc.record({
  words: fc.array(fc.nat(WORDS.length - 1), { minLength: 1, maxLength: 3 }),
  scope: fc.nat(SCOPES.length - 1),
  k: fc.integer({ min: 1, max: 12 }),
  kinds: fc.option(fc.uniqueArray(fc.nat(KINDS.length - 1), { minLength: 1, maxLength: 2 }), { nil: null }),
  tools: fc.uniqueArray(fc.nat(TOOLS.length - 1), { maxLength: 2 }),
});

/**
 * A property over random histories written by two writers at once — commits
 * with kinds, tools and supersedes, reverts, global and scoped rollbacks, and
 * commits that lose their version to the other writer: after each step, a
 * search answered by the live index returns exactly what the backend returns
 * for the same request at the same version (ids in order, scores within the
 * tolerance), for random scopes, kinds, tools and k.
 */
export function describeLiveIndexProperty({ name, createMemories, runs = 30, maxSteps = 20, scoreTolerance = 1e-5, seed = 23, timeoutMs = 120_000 }: LiveIndexPropertyParams): void {
  describe(`live index property: ${name}`, () => {
    it(
      "answers every search at the head exactly as the backend does",
      async () => {
        await fc.assert(
          fc.asyncProperty(fc.array(fc.tuple(step, fc.array(query, { minLength: 1, maxLength: 4 })), { minLength: 1, maxLength: maxSteps }), async (history) => {
            const { indexed, reference, writers, dispose } = await createMemories();
            try {
              let nextId = 0;
              const merged: string[] = [];
              const run = async (writer: LessonMemory, planned: Write, label: string) => {
                try {
                  if (planned.type === "commit") {
                    const id = `l${nextId++}`;
                    const scope = SCOPES[planned.scope] as Scope;
                    const live = (await writer.list({ scope: { tenant: scope.tenant } })).map((lesson) => lesson.id).sort();
                    const supersedes = planned.supersede === null || live.length === 0 ? [] : [live[planned.supersede % live.length] as string];
                    const words = planned.words.map((word) => WORDS[word]).join(" ");
                    const lesson = lessonFixture(id, {
                      scope,
                      kind: KINDS[planned.kind],
                      supersedes,
                      trigger: `${words} ${id}`,
                      guidance: `handle ${words} as ${id} says`,
                      ...(planned.tools.length === 0 ? {} : { tools: planned.tools.map((tool) => TOOLS[tool] as string) }),
                    });
                    await writer.commit({ add: [lesson], reason: label, author: "property" });
                    merged.push(id);
                  } else if (planned.type === "revert") {
                    const id = merged[planned.pick % Math.max(merged.length, 1)] ?? "never-merged";
                    await writer.revert({ lessons: [id], reason: label, author: "property" });
                  } else {
                    const head = await writer.headVersion();
                    if (head === 0) return;
                    await writer.rollback({ to: planned.to % head, ...(planned.scope === null ? {} : { scope: SCOPES[planned.scope] as Scope }), reason: label, author: "property" });
                  }
                } catch (error) {
                  // A write the memory refuses (not live any more, another scope, lost to the other writer's plan) changes nothing.
                  if (!LessonloopError.isInstance(error)) throw error;
                }
              };
              for (const [index, [{ writes, together }, queries]] of history.entries()) {
                const [first, second] = writes;
                const label = `step ${index}`;
                if (together && second !== null) await Promise.all([run(writers[0], first, label), run(writers[1], second, label)]);
                else {
                  await run(writers[0], first, label);
                  if (second !== null) await run(writers[1], second, label);
                }
                // Within one millisecond a handle with freshnessMs 0 may not have seen the other writer's last version yet: settle on the head it reads.
                let head = await indexed.headVersion();
                for (let tries = 0; tries < 5 && indexed.liveIndexStats?.version !== head; tries++) {
                  await indexed.liveIndexSettled();
                  head = await indexed.headVersion();
                }
                expect(indexed.liveIndexStats?.version, `${label}: the live index reached the head`).toBe(head);
                for (const asked of queries) {
                  const request = {
                    query: asked.words.map((word) => WORDS[word]).join(" "),
                    scope: SCOPES[asked.scope] as Scope,
                    k: asked.k,
                    ...(asked.kinds === null ? {} : { kinds: asked.kinds.map((kind) => KINDS[kind] as LessonKind) }),
                    ...(asked.tools.length === 0 ? {} : { tools: asked.tools.map((tool) => TOOLS[tool] as string) }),
                  };
                  const [fromIndex, fromBackend] = await Promise.all([indexed.search({ ...request, version: head }), reference.search({ ...request, version: head })]);
                  expectSameHits(fromIndex, fromBackend, scoreTolerance, `${label}: "${request.query}" in ${formatScope(request.scope)} at v${head}`);
                }
              }
            } finally {
              await dispose?.();
            }
          }),
          { numRuns: runs, seed, endOnFailure: true },
        );
      },
      timeoutMs,
    );
  });
}

/** Hits best first, lessons whose scores differ by no more than `tolerance` by id: stores may order such near-ties either way. */
function inOrder(hits: readonly ScoredLesson[], tolerance: number): ScoredLesson[] {
  const ordered = [...hits].sort((a, b) => b.score - a.score);
  for (let swapped = true; swapped; ) {
    swapped = false;
    for (let index = 1; index < ordered.length; index++) {
      const [a, b] = [ordered[index - 1] as ScoredLesson, ordered[index] as ScoredLesson];
      if (Math.abs(a.score - b.score) <= tolerance && b.lesson.id < a.lesson.id) {
        ordered[index - 1] = b;
        ordered[index] = a;
        swapped = true;
      }
    }
  }
  return ordered;
}

function expectSameHits(actual: readonly ScoredLesson[], expected: readonly ScoredLesson[], tolerance: number, label: string): void {
  const [ours, theirs] = [inOrder(actual, tolerance), inOrder(expected, tolerance)];
  expect(
    ours.map((hit) => hit.lesson),
    label,
  ).toEqual(theirs.map((hit) => hit.lesson));
  ours.forEach((hit, index) => expect(Math.abs(hit.score - (theirs[index]?.score ?? Number.NaN)), `${label}: score of ${hit.lesson.id}`).toBeLessThanOrEqual(tolerance));
}
