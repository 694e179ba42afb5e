import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LessonloopError } from "../errors.js";
import type { LessonInput } from "../lesson.js";
import type { LessonMemory } from "../lesson-memory.js";
import { formatScope, scopeApplies, scopeContains, type Scope } from "../scope.js";
import { lessonFixture } from "./lesson-fixtures.js";

export interface ScopedUndoPropertyParams {
  /** Shown in the suite's name, e.g. `ChromaLessonMemory`. */
  name: string;
  /** A fresh, empty memory for each generated history, and how to dispose of it. */
  createMemory: () => Promise<{ memory: LessonMemory; dispose?: () => Promise<void> }>;
  /** Histories generated. Default 40. */
  runs?: number;
  /** Most operations in one history (at most 60: every lesson must fit in one search). Default 30. */
  maxSteps?: number;
  /** The generator's seed, so a failure replays. Default 17. */
  seed?: number;
  /** Per-test timeout (ms). Default 60 000. */
  timeoutMs?: number;
}

/** The scopes operations run in: two tenants, and one user within the first. */
const SCOPES: readonly Scope[] = [{ tenant: "acme" }, { tenant: "acme", user: "ana" }, { tenant: "globex" }, { tenant: "initech" }];

type Operation =
  | { type: "commit"; scope: number; supersede: number | null }
  | { type: "revert"; scope: number; pick: number }
  | { type: "rollback"; scope: number; to: number };

const scopeIndex = fc.integer({ min: 0, max: SCOPES.length - 1 });
const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant("commit" as const), scope: scopeIndex, supersede: fc.option(fc.nat(), { nil: null }) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("revert" as const), scope: scopeIndex, pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("rollback" as const), scope: scopeIndex, to: fc.nat() }) },
);

/** A naive model: every version's live lessons, kept whole. */
interface Model {
  versions: Map<string, LessonInput>[];
  /** Every lesson ever merged, by id, with the version that merged it. */
  merged: Map<string, { lesson: LessonInput; at: number }>;
}

const sorted = (ids: Iterable<string>) => [...ids].sort();
const live = (model: Model) => model.versions.at(-1) as Map<string, LessonInput>;

/** The version at which a lesson last went in or out of memory, at or before `head`. */
function lastChange(model: Model, id: string): number | undefined {
  for (let version = model.versions.length - 1; version >= 1; version--) {
    if ((model.versions[version] as Map<string, LessonInput>).has(id) !== (model.versions[version - 1] as Map<string, LessonInput>).has(id)) return version;
  }
  return undefined;
}

type Expected = { outcome: "written"; next: Map<string, LessonInput> } | { outcome: "refused"; code: "not_found" | "out_of_scope" };

/** What the model says a revert of `id` within `scope` does. */
function expectRevert(model: Model, id: string, scope: Scope): Expected {
  const head = live(model);
  const lesson = head.get(id);
  if (lesson === undefined) return { outcome: "refused", code: "not_found" };
  if (!scopeContains(scope, lesson.scope)) return { outcome: "refused", code: "out_of_scope" };
  const mergedAt = model.merged.get(id)?.at;
  const next = new Map(head);
  next.delete(id);
  for (const superseded of lesson.supersedes ?? []) {
    if (head.has(superseded) || lastChange(model, superseded) !== mergedAt) continue;
    const restored = model.merged.get(superseded)?.lesson as LessonInput;
    if (!scopeContains(scope, restored.scope)) return { outcome: "refused", code: "out_of_scope" };
    next.set(superseded, restored);
  }
  return { outcome: "written", next };
}

/** What the model says a rollback of `scope` to `to` leaves live. */
function expectRollback(model: Model, to: number, scope: Scope): Map<string, LessonInput> {
  const next = new Map([...live(model)].filter(([, lesson]) => !scopeContains(scope, lesson.scope)));
  for (const [id, lesson] of model.versions[to] as Map<string, LessonInput>) if (scopeContains(scope, lesson.scope)) next.set(id, lesson);
  return next;
}

/** Lessons of `lessons` outside `scope`, as sorted ids: what an operation within `scope` must not change. */
const outside = (lessons: readonly { id: string; scope: Scope }[], scope: Scope) => sorted(lessons.filter((lesson) => !scopeContains(scope, lesson.scope)).map((lesson) => lesson.id));

/**
 * A property over random histories of commits, reverts and scoped rollbacks by
 * several tenants: an operation in one scope never changes another scope's
 * live set, a refused one changes nothing, and `list` and `search` at every
 * version return exactly what a naive model of whole live sets says.
 */
export function describeScopedUndoProperty({ name, createMemory, runs = 40, maxSteps = 30, seed = 17, timeoutMs = 60_000 }: ScopedUndoPropertyParams): void {
  describe(`scoped undo property: ${name}`, () => {
    it(
      "keeps every scope's live set to itself and agrees with a naive model at every version",
      async () => {
        await fc.assert(
          fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: Math.min(maxSteps, 60) }), async (operations) => {
            const { memory, dispose } = await createMemory();
            try {
              await runHistory(memory, operations);
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

async function runHistory(memory: LessonMemory, operations: readonly Operation[]): Promise<void> {
  const model: Model = { versions: [new Map()], merged: new Map() };
  let nextId = 0;
  for (const step of operations) {
    const scope = SCOPES[step.scope] as Scope;
    const before = await memory.list();
    const label = `${step.type} in ${formatScope(scope)} at v${model.versions.length - 1}`;
    if (step.type === "commit") {
      const id = `l${nextId++}`;
      // A lesson may supersede a live one of its tenant, even one scoped wider (a user's revision of a tenant rule).
      const candidates = sorted([...live(model).values()].filter((lesson) => lesson.scope.tenant === scope.tenant).map((lesson) => lesson.id));
      const supersedes = step.supersede === null || candidates.length === 0 ? [] : [candidates[step.supersede % candidates.length] as string];
      const lesson = lessonFixture(id, { scope, supersedes, trigger: `when ${id} happens to ${scope.tenant}` });
      await memory.commit({ add: [lesson], reason: label, author: "property" });
      const next = new Map(live(model));
      for (const superseded of supersedes) next.delete(superseded);
      next.set(id, lesson);
      model.merged.set(id, { lesson, at: model.versions.length });
      model.versions.push(next);
    } else if (step.type === "revert") {
      const everMerged = sorted(model.merged.keys());
      const id = everMerged.length === 0 ? "never-merged" : (everMerged[step.pick % everMerged.length] as string);
      const expected = expectRevert(model, id, scope);
      if (expected.outcome === "refused") {
        const error = await memory.revert({ lessons: [id], scope, reason: label, author: "property" }).then(
          () => undefined,
          (caught: unknown) => caught,
        );
        expect(LessonloopError.isInstance(error) ? error.code : error, `${label}: revert ${id}`).toBe(expected.code);
        expect(await memory.list(), `${label}: a refused revert changes nothing`).toEqual(before);
        continue;
      }
      await memory.revert({ lessons: [id], scope, reason: label, author: "property" });
      model.versions.push(expected.next);
    } else {
      const head = model.versions.length - 1;
      if (head === 0) continue;
      const to = step.to % head;
      await memory.rollback({ to, scope, reason: label, author: "property" });
      model.versions.push(expectRollback(model, to, scope));
    }
    // An undo stays within its scope (a commit may supersede a lesson scoped wider than itself, so it is not held to this).
    if (step.type !== "commit") expect(outside(await memory.list(), scope), `${label}: other scopes' live sets`).toEqual(outside(before, scope));
    expect(await memory.headVersion(), label).toBe(model.versions.length - 1);
  }
  for (const [version, expected] of model.versions.entries()) {
    expect(sorted((await memory.list({ version })).map((lesson) => lesson.id)), `list at v${version}`).toEqual(sorted(expected.keys()));
    for (const scope of SCOPES) {
      const found = await memory.search({ query: `when it happens to ${scope.tenant}`, scope, k: 100, version });
      const applicable = [...expected.values()].filter((lesson) => scopeApplies(lesson.scope, scope)).map((lesson) => lesson.id);
      expect(sorted(found.map((hit) => hit.lesson.id)), `search in ${formatScope(scope)} at v${version}`).toEqual(sorted(applicable));
    }
  }
}
