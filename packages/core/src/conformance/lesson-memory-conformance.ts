import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LessonloopError, type LessonloopErrorCode } from "../errors.js";
import type { LessonMemory } from "../lesson-memory.js";
import { rejectionOf } from "../testing/rejection-of.js";
import { lessonFixture } from "./lesson-fixtures.js";

export interface LessonMemoryConformanceParams {
  /** Shown in the suite's name, e.g. `ChromaLessonMemory`. */
  name: string;
  /** A fresh, empty memory for each test, and how to dispose of it. Its reads must not be stale (e.g. `freshnessMs: 0`) when `openAnother` is given. */
  createMemory: () => Promise<{ memory: LessonMemory; dispose?: () => Promise<void> }>;
  /**
   * A second handle on the same stored memory, as another process would open
   * it, reading fresh. When given, the suite also races writers.
   */
  openAnother?: (memory: LessonMemory) => Promise<LessonMemory>;
}

async function expectError(promise: Promise<unknown>, code: LessonloopErrorCode, mentions?: RegExp): Promise<LessonloopError> {
  const error = await rejectionOf(promise);
  expect(LessonloopError.isInstance(error), `expected a LessonloopError(${code}), got ${String(error)}`).toBe(true);
  const typed = error as LessonloopError;
  expect(typed.code).toBe(code);
  if (mentions !== undefined) expect(typed.message).toMatch(mentions);
  return typed;
}

const ids = (lessons: readonly { id: string }[]) => lessons.map((lesson) => lesson.id).sort();
const author = { author: "tester" };

/** What a caller can observe of a memory; unchanged after a rejected write. */
async function observe(memory: LessonMemory) {
  const head = await memory.headVersion();
  return { head, lessons: ids(await memory.list()), history: (await memory.history({ limit: 1_000 })).length };
}

/**
 * The behaviour every `LessonMemory` must have, as one vitest suite: run it
 * against each implementation with a factory for fresh memories.
 */
export function describeLessonMemoryConformance({ name, createMemory, openAnother }: LessonMemoryConformanceParams): void {
  describe(`LessonMemory conformance: ${name}`, () => {
    let memory: LessonMemory;
    let dispose: (() => Promise<void>) | undefined;

    beforeEach(async () => {
      ({ memory, dispose } = await createMemory());
    });
    afterEach(async () => {
      await dispose?.();
    });

    describe("versions", () => {
      it("starts empty at version 0 with a genesis snapshot", async () => {
        expect(await memory.headVersion()).toBe(0);
        expect(await memory.list()).toEqual([]);
        const [genesis] = await memory.history();
        expect(genesis).toMatchObject({ version: 0, parent: null, kind: "genesis" });
      });

      it("makes each commit a new snapshot with its change, reason and author", async () => {
        const first = await memory.commit({ add: [lessonFixture("a"), lessonFixture("b")], reason: "first lessons", author: "learner" });
        expect(first).toMatchObject({ version: 1, parent: 0, kind: "commit", change: { added: ["a", "b"], retired: [] }, reason: "first lessons", author: "learner" });
        const second = await memory.commit({ add: [lessonFixture("c")], reason: "one more", ...author });
        expect(second).toMatchObject({ version: 2, parent: 1 });
        expect(await memory.headVersion()).toBe(2);
        expect(ids(await memory.list())).toEqual(["a", "b", "c"]);
        expect((await memory.history()).map((snapshot) => snapshot.version)).toEqual([2, 1, 0]);
      });

      it("stores merged lessons as approved and returns them whole", async () => {
        const input = lessonFixture("refund-window", { status: "validating", kind: "constraint", tags: ["billing"] });
        await memory.commit({ add: [input], reason: "merge", ...author });
        const stored = await memory.get("refund-window");
        expect(stored).toMatchObject({ ...input, status: "approved" });
      });

      it("keeps snapshots immutable: later writes and caller mutation do not change them", async () => {
        await memory.commit({ add: [lessonFixture("a")], reason: "one", ...author });
        const before = await memory.snapshot(1);
        before.change.added.push("tampered");
        await memory.commit({ retire: ["a"], reason: "two", ...author });
        await memory.rollback({ to: 0, reason: "three", ...author });
        expect((await memory.snapshot(1)).change.added).toEqual(["a"]);
      });

      it("pages history newest first", async () => {
        for (const id of ["a", "b", "c", "d"]) await memory.commit({ add: [lessonFixture(id)], reason: id, ...author });
        expect((await memory.history({ limit: 2 })).map((s) => s.version)).toEqual([4, 3]);
        expect((await memory.history({ limit: 2, before: 3 })).map((s) => s.version)).toEqual([2, 1]);
      });
    });

    describe("search", () => {
      beforeEach(async () => {
        await memory.commit({
          add: [
            lessonFixture("invoice-currency", { trigger: "creating an invoice for a customer", guidance: "send amounts in cents as integers, currency code uppercase" }),
            lessonFixture("shipping-address", { trigger: "shipping an order to a customer address", guidance: "include the postal code field named zip_code" }),
            lessonFixture("tone", { trigger: "writing a reply to an upset customer", guidance: "apologise once, then give the concrete next step", kind: "strategy" }),
          ],
          reason: "seed",
          ...author,
        });
      });

      it("returns the most relevant lesson first, with a score", async () => {
        const results = await memory.search({ query: "create an invoice in cents", scope: { tenant: "acme" } });
        expect(results[0]?.lesson.id).toBe("invoice-currency");
        expect(results[0]?.score).toBeGreaterThan(results[1]?.score ?? -1);
      });

      it("returns at most k lessons", async () => {
        expect(await memory.search({ query: "customer", scope: { tenant: "acme" }, k: 2 })).toHaveLength(2);
      });

      it("filters by kind", async () => {
        const results = await memory.search({ query: "customer", scope: { tenant: "acme" }, kinds: ["strategy"] });
        expect(ids(results.map((r) => r.lesson))).toEqual(["tone"]);
      });

      it("rejects an empty or huge query with a typed error, naming the field", async () => {
        await expectError(memory.search({ query: "   ", scope: { tenant: "acme" } }), "invalid_input", /query/);
        await expectError(memory.search({ query: "x".repeat(20_001), scope: { tenant: "acme" } }), "invalid_input", /query/);
      });

      it("rejects a bad scope or k", async () => {
        await expectError(memory.search({ query: "invoice", scope: { tenant: "" } }), "invalid_input", /scope\.tenant/);
        await expectError(memory.search({ query: "invoice", scope: { tenant: "acme" }, k: 0 }), "invalid_input", /\bk: /);
      });
    });

    describe("tool-anchored search", () => {
      // Many lessons about other things, so the anchored one is far from the k nearest of an unrelated query.
      beforeEach(async () => {
        const filler = Array.from({ length: 12 }, (_, index) =>
          lessonFixture(`ticket-filler-${index}`, { trigger: `open a ticket for customer invoice typo case ${index}`, guidance: `write the invoice number ${index} in the ticket title` }),
        );
        await memory.commit({
          add: [
            ...filler,
            lessonFixture("priority", { trigger: "calling create_ticket", guidance: "priority is one of P1, P2, P3 now", tools: ["create_ticket"] }),
            lessonFixture("priority-ana", { scope: { tenant: "acme", user: "ana" }, trigger: "calling create_ticket", guidance: "ana wants P1", tools: ["create_ticket"] }),
            lessonFixture("priority-globex", { scope: { tenant: "globex" }, trigger: "calling create_ticket", guidance: "globex uses P0", tools: ["create_ticket"] }),
            lessonFixture("kb", { trigger: "searching the knowledge base", guidance: "quote the article id", kind: "strategy", tools: ["search_kb", "get_article"] }),
          ],
          reason: "seed anchored",
          ...author,
        });
      });
      const query = "Open a ticket for customer Hooli: invoice 9001 has a typo";
      const found = async (request: { tools?: string[]; scope?: { tenant: string; user?: string }; version?: number; kinds?: ["strategy"] }) =>
        ids((await memory.search({ query, scope: request.scope ?? { tenant: "acme" }, k: 3, ...request })).map((hit) => hit.lesson));

      it("returns lessons anchored to an available tool beside the k nearest, whatever their score, each once", async () => {
        expect(await found({})).not.toContain("priority");
        const anchored = await memory.search({ query, scope: { tenant: "acme" }, k: 3, tools: ["create_ticket", "create_ticket", "send_email"] });
        expect(ids(anchored.map((hit) => hit.lesson))).toContain("priority");
        expect(anchored.filter((hit) => hit.lesson.id === "priority")).toHaveLength(1);
        expect(anchored.find((hit) => hit.lesson.id === "priority")?.lesson.tools).toEqual(["create_ticket"]);
        // Scored as any hit, and ordered by score.
        expect(anchored.map((hit) => hit.score)).toEqual([...anchored.map((hit) => hit.score)].sort((a, b) => b - a));
        expect(await found({ tools: ["get_article"] })).toContain("kb");
        expect(await found({ tools: ["send_email"] })).not.toContain("priority");
      });

      it("applies scope, kinds, retirement and versions to anchored lessons exactly as to the rest", async () => {
        expect(await found({ tools: ["create_ticket"], scope: { tenant: "acme", user: "ana" } })).toEqual(expect.arrayContaining(["priority", "priority-ana"]));
        expect(await found({ tools: ["create_ticket"] })).not.toContain("priority-ana");
        expect(await found({ tools: ["create_ticket"] })).not.toContain("priority-globex");
        expect(await found({ tools: ["create_ticket"], kinds: ["strategy"] })).not.toContain("priority");
        const before = await memory.headVersion();
        await memory.commit({ retire: ["priority"], reason: "obsolete", ...author });
        expect(await found({ tools: ["create_ticket"] })).not.toContain("priority");
        expect(await found({ tools: ["create_ticket"], version: before })).toContain("priority");
        await memory.rollback({ to: before, reason: "back", ...author });
        expect(await found({ tools: ["create_ticket"] })).toContain("priority");
      });

      it("refuses a tool name that is not one, with a typed error naming the field", async () => {
        await expectError(memory.search({ query, scope: { tenant: "acme" }, tools: ["create ticket"] }), "invalid_input", /tools/);
        await expectError(memory.commit({ add: [lessonFixture("bad", { tools: ["a", "a"] })], reason: "x", ...author }), "invalid_input", /tools/);
      });
    });

    describe("scopes", () => {
      beforeEach(async () => {
        await memory.commit({
          add: [
            lessonFixture("acme-wide", { scope: { tenant: "acme" }, trigger: "formatting a date for the user" }),
            lessonFixture("acme-ana", { scope: { tenant: "acme", user: "ana" }, trigger: "formatting a date for ana" }),
            lessonFixture("acme-billing", { scope: { tenant: "acme", agent: "billing" }, trigger: "formatting a date on an invoice" }),
            lessonFixture("globex-wide", { scope: { tenant: "globex" }, trigger: "formatting a date for the user" }),
          ],
          reason: "seed scopes",
          ...author,
        });
      });

      const searchIds = async (scope: { tenant: string; user?: string; agent?: string }) =>
        ids((await memory.search({ query: "formatting a date", scope, k: 10 })).map((r) => r.lesson));

      it("never returns another tenant's lessons", async () => {
        expect(await searchIds({ tenant: "globex", user: "ana", agent: "billing" })).toEqual(["globex-wide"]);
        expect(await searchIds({ tenant: "initech" })).toEqual([]);
      });

      it("applies user- and agent-scoped lessons only to that user or agent", async () => {
        expect(await searchIds({ tenant: "acme" })).toEqual(["acme-wide"]);
        expect(await searchIds({ tenant: "acme", user: "ana" })).toEqual(["acme-ana", "acme-wide"]);
        expect(await searchIds({ tenant: "acme", user: "bob" })).toEqual(["acme-wide"]);
        expect(await searchIds({ tenant: "acme", user: "ana", agent: "billing" })).toEqual(["acme-ana", "acme-billing", "acme-wide"]);
      });

      it("lists the lessons within a scope", async () => {
        expect(ids(await memory.list({ scope: { tenant: "acme" } }))).toEqual(["acme-ana", "acme-billing", "acme-wide"]);
        expect(ids(await memory.list({ scope: { tenant: "acme", user: "ana" } }))).toEqual(["acme-ana"]);
        expect(ids(await memory.list({ scope: { tenant: "globex" } }))).toEqual(["globex-wide"]);
      });
    });

    describe("retire and supersede", () => {
      beforeEach(async () => {
        await memory.commit({ add: [lessonFixture("old"), lessonFixture("other")], reason: "seed", ...author });
      });

      it("retires a lesson from the live version but keeps it in earlier ones", async () => {
        const snapshot = await memory.commit({ retire: ["old"], reason: "obsolete", ...author });
        expect(snapshot.change).toEqual({ added: [], retired: ["old"] });
        expect(ids(await memory.list())).toEqual(["other"]);
        expect(ids(await memory.list({ version: 1 }))).toEqual(["old", "other"]);
        await expectError(memory.get("old"), "not_found", /old/);
        expect((await memory.get("old", { version: 1 })).id).toBe("old");
      });

      it("retires what a merged lesson supersedes, in the same snapshot", async () => {
        const snapshot = await memory.commit({ add: [lessonFixture("new", { supersedes: ["old"] })], reason: "revise", ...author });
        expect(snapshot.change).toEqual({ added: ["new"], retired: ["old"] });
        expect(ids(await memory.list())).toEqual(["new", "other"]);
      });

      it("refuses to retire a lesson that is not live, and changes nothing", async () => {
        const before = await observe(memory);
        await expectError(memory.commit({ retire: ["missing"], reason: "x", ...author }), "not_found", /missing/);
        await expectError(memory.commit({ add: [lessonFixture("n", { supersedes: ["missing"] })], reason: "x", ...author }), "not_found", /missing/);
        expect(await observe(memory)).toEqual(before);
      });

      it("refuses to merge an id twice, and changes nothing", async () => {
        const before = await observe(memory);
        await expectError(memory.commit({ add: [lessonFixture("old")], reason: "again", ...author }), "conflict", /supersedes/);
        await memory.commit({ retire: ["old"], reason: "retire", ...author });
        await expectError(memory.commit({ add: [lessonFixture("old")], reason: "again", ...author }), "conflict");
        expect((await observe(memory)).lessons).toEqual(before.lessons.filter((id) => id !== "old"));
      });
    });

    describe("rollback and time travel", () => {
      beforeEach(async () => {
        await memory.commit({ add: [lessonFixture("v1-lesson", { trigger: "paying an invoice late" })], reason: "v1", ...author });
        await memory.commit({ add: [lessonFixture("v2-lesson", { trigger: "paying an invoice early" })], retire: ["v1-lesson"], reason: "v2", ...author });
      });

      it("searches memory as it was at any version", async () => {
        const at = async (version: number) =>
          ids((await memory.search({ query: "paying an invoice", scope: { tenant: "acme" }, version })).map((r) => r.lesson));
        expect(await at(0)).toEqual([]);
        expect(await at(1)).toEqual(["v1-lesson"]);
        expect(await at(2)).toEqual(["v2-lesson"]);
      });

      it("rolls back as a new version that restores the earlier lessons", async () => {
        const snapshot = await memory.rollback({ to: 1, reason: "v2 hurt", author: "regression-monitor" });
        expect(snapshot).toMatchObject({ version: 3, parent: 2, kind: "rollback", restores: 1, change: { added: ["v1-lesson"], retired: ["v2-lesson"] }, author: "regression-monitor" });
        expect(ids(await memory.list())).toEqual(["v1-lesson"]);
        expect(ids(await memory.list({ version: 2 }))).toEqual(["v2-lesson"]);
        expect((await memory.history()).map((s) => s.version)).toEqual([3, 2, 1, 0]);
      });

      it("keeps abandoned lessons out of later commits, and lets their ids be merged anew", async () => {
        await memory.rollback({ to: 1, reason: "undo v2", ...author });
        await memory.commit({ add: [lessonFixture("v4-lesson")], reason: "v4", ...author });
        expect(ids(await memory.list())).toEqual(["v1-lesson", "v4-lesson"]);
        await memory.commit({ add: [lessonFixture("v2-lesson", { guidance: "a better version" })], reason: "v5", ...author });
        expect((await memory.get("v2-lesson")).guidance).toBe("a better version");
        expect((await memory.get("v2-lesson", { version: 2 })).guidance).toBe("handle v2-lesson carefully");
      });

      it("rolls back to a version before a rollback, and forward again", async () => {
        await memory.rollback({ to: 0, reason: "clear", ...author });
        expect(await memory.list()).toEqual([]);
        await memory.rollback({ to: 2, reason: "redo", ...author });
        expect(ids(await memory.list())).toEqual(["v2-lesson"]);
      });

      it("diffs any two versions", async () => {
        const diff = await memory.diff(1, 2);
        expect(ids(diff.added)).toEqual(["v2-lesson"]);
        expect(ids(diff.removed)).toEqual(["v1-lesson"]);
        const back = await memory.diff(2, 0);
        expect(ids(back.added)).toEqual([]);
        expect(ids(back.removed)).toEqual(["v2-lesson"]);
        expect(await memory.diff(2, 2)).toMatchObject({ added: [], removed: [] });
      });

      it("refuses a rollback to the future, to the live version or to a bad version, and changes nothing", async () => {
        const before = await observe(memory);
        await expectError(memory.rollback({ to: 9, reason: "x", ...author }), "invalid_rollback", /future/);
        await expectError(memory.rollback({ to: 2, reason: "x", ...author }), "invalid_rollback", /already live/);
        await expectError(memory.rollback({ to: -1, reason: "x", ...author }), "invalid_input", /to/);
        await expectError(memory.rollback({ to: 1, reason: "", ...author }), "invalid_input", /reason/);
        expect(await observe(memory)).toEqual(before);
      });

      it("writes only on the expected head when one is given", async () => {
        const before = await observe(memory);
        await expectError(memory.rollback({ to: 1, reason: "stale", expectedHead: 1, ...author }), "conflict", /live version is 2/);
        await expectError(memory.commit({ add: [lessonFixture("late")], reason: "stale", expectedHead: 0, ...author }), "conflict");
        expect(await observe(memory)).toEqual(before);
        expect((await memory.rollback({ to: 1, reason: "fresh", expectedHead: 2, ...author })).version).toBe(3);
      });

      it("reports an unknown version on every read", async () => {
        await expectError(memory.search({ query: "invoice", scope: { tenant: "acme" }, version: 42 }), "unknown_version", /42/);
        await expectError(memory.list({ version: 42 }), "unknown_version");
        await expectError(memory.snapshot(42), "unknown_version");
        await expectError(memory.diff(0, 42), "unknown_version");
        await expectError(memory.get("v1-lesson", { version: 42 }), "unknown_version");
      });
    });

    describe("revert", () => {
      const acme = { tenant: "acme" };
      const globex = { tenant: "globex" };
      beforeEach(async () => {
        await memory.commit({ add: [lessonFixture("old")], reason: "v1", ...author });
        await memory.commit({ add: [lessonFixture("new", { supersedes: ["old"] })], reason: "v2", ...author });
        await memory.commit({ add: [lessonFixture("g1", { scope: globex })], reason: "v3", ...author });
        await memory.commit({ add: [lessonFixture("later")], reason: "v4", ...author });
      });

      it("retires exactly the named lesson and makes live again what it superseded; later merges stay", async () => {
        const snapshot = await memory.revert({ lessons: ["new"], reason: "new hurt acme", author: "operator" });
        expect(snapshot).toMatchObject({ version: 5, parent: 4, kind: "revert", change: { added: ["old"], retired: ["new"] }, reason: "new hurt acme" });
        expect(ids(await memory.list())).toEqual(["g1", "later", "old"]);
        expect(ids(await memory.list({ version: 4 }))).toEqual(["g1", "later", "new"]);
        expect((await memory.get("old")).id).toBe("old");
        const found = await memory.search({ query: "when old happens", scope: acme, k: 10 });
        expect(ids(found.map((hit) => hit.lesson))).toEqual(["later", "old"]);
        expect(ids((await memory.diff(4, 5)).added)).toEqual(["old"]);
      });

      it("refuses an unknown lesson, one not live and one outside the scope, and changes nothing", async () => {
        await memory.revert({ lessons: ["later"], reason: "drop", ...author });
        const before = await observe(memory);
        await expectError(memory.revert({ lessons: ["missing"], reason: "x", ...author }), "not_found", /missing/);
        await expectError(memory.revert({ lessons: ["old"], reason: "x", ...author }), "not_found", /not live/);
        await expectError(memory.revert({ lessons: ["later"], reason: "x", ...author }), "not_found", /later/);
        await expectError(memory.revert({ lessons: ["new", "g1"], scope: acme, reason: "x", ...author }), "out_of_scope", /g1.*globex/);
        await expectError(memory.revert({ lessons: [], reason: "x", ...author }), "invalid_input", /lessons/);
        await expectError(memory.revert({ lessons: ["new"], reason: "x", expectedHead: 1, ...author }), "conflict");
        expect(await observe(memory)).toEqual(before);
        expect((await memory.revert({ lessons: ["g1"], scope: globex, reason: "globex only", ...author })).scope).toEqual(globex);
      });

      it("keeps a reverted id merged: it cannot be merged again, only revised under a new id", async () => {
        await memory.revert({ lessons: ["later"], reason: "drop", ...author });
        await expectError(memory.commit({ add: [lessonFixture("later")], reason: "again", ...author }), "conflict", /already merged/);
      });

      it("carries typed evidence", async () => {
        const evidence = {
          test: "fisher-exact-one-sided" as const,
          before: { version: 1, successes: 18, failures: 2, unknown: 0, episodes: 20, rate: 0.9 },
          after: { version: 2, successes: 8, failures: 12, unknown: 0, episodes: 20, rate: 0.4 },
          drop: 0.5,
          pValue: 0.001,
          look: 0,
          lookAlpha: 0.025,
          thresholds: { alpha: 0.05, minEpisodes: 20, minDrop: 0.1 },
          decision: "regressed" as const,
          lessons: ["new"],
        };
        await memory.revert({ lessons: ["new"], reason: "hurt", evidence, author: "regression-monitor" });
        expect((await memory.snapshot(5)).evidence).toEqual(evidence);
      });
    });

    describe("rollback within a scope", () => {
      const acme = { tenant: "acme" };
      const globex = { tenant: "globex" };
      beforeEach(async () => {
        await memory.commit({ add: [lessonFixture("a1"), lessonFixture("g1", { scope: globex })], reason: "v1", ...author });
        await memory.commit({ add: [lessonFixture("a2", { supersedes: ["a1"] })], reason: "v2", ...author });
        await memory.commit({ add: [lessonFixture("g2", { scope: globex, supersedes: ["g1"] })], reason: "v3", ...author });
      });

      it("rolls the scope's lessons back to the version and leaves every other scope as it is", async () => {
        const snapshot = await memory.rollback({ to: 1, scope: acme, reason: "undo acme", ...author });
        expect(snapshot).toMatchObject({ kind: "rollback", restores: 1, scope: acme, change: { added: ["a1"], retired: ["a2"] } });
        expect(ids(await memory.list({ scope: acme }))).toEqual(["a1"]);
        expect(ids(await memory.list({ scope: globex }))).toEqual(["g2"]);
        const found = await memory.search({ query: "happens", scope: globex, k: 10 });
        expect(ids(found.map((hit) => hit.lesson))).toEqual(["g2"]);
      });

      it("restores a scope across an earlier global rollback", async () => {
        await memory.rollback({ to: 0, reason: "clear all", ...author });
        await memory.commit({ add: [lessonFixture("g3", { scope: globex })], reason: "v5", ...author });
        await memory.rollback({ to: 2, scope: acme, reason: "acme back", ...author });
        expect(ids(await memory.list())).toEqual(["a2", "g3"]);
        expect((await memory.get("a2")).id).toBe("a2");
        const found = await memory.search({ query: "happens", scope: acme, k: 10 });
        expect(ids(found.map((hit) => hit.lesson))).toEqual(["a2"]);
        await memory.rollback({ to: 3, scope: globex, reason: "globex back", ...author });
        expect(ids(await memory.list())).toEqual(["a2", "g2"]);
      });

      it("rolls back a user's lessons without the tenant-wide ones", async () => {
        await memory.commit({ add: [lessonFixture("ana", { scope: { tenant: "acme", user: "ana" } }), lessonFixture("a3")], reason: "v4", ...author });
        await memory.rollback({ to: 3, scope: { tenant: "acme", user: "ana" }, reason: "ana only", ...author });
        expect(ids(await memory.list())).toEqual(["a2", "a3", "g2"]);
      });
    });

    describe("bad input", () => {
      it("rejects a malformed lesson naming the field, and writes nothing", async () => {
        await memory.commit({ add: [lessonFixture("kept")], reason: "seed", ...author });
        const before = await observe(memory);
        const missingTrigger = { ...lessonFixture("bad"), trigger: "" };
        const badError = await expectError(memory.commit({ add: [lessonFixture("good"), missingTrigger], reason: "x", ...author }), "invalid_input", /add\.1\.trigger/);
        expect(badError.details["issues"]).toBeDefined();
        await expectError(memory.commit({ add: [{ ...lessonFixture("bad"), kind: "magic" as "recovery" }], reason: "x", ...author }), "invalid_input", /kind/);
        await expectError(memory.commit({ add: [{ ...lessonFixture("bad"), scope: { tenant: "a\u2060b" } }], reason: "x", ...author }), "invalid_input", /scope\.tenant/);
        await expectError(memory.commit({ add: [{ ...lessonFixture("bad"), guidance: "g".repeat(5_000) }], reason: "x", ...author }), "invalid_input", /guidance/);
        await expectError(memory.commit({ add: [lessonFixture("dup"), lessonFixture("dup")], reason: "x", ...author }), "invalid_input", /twice/);
        await expectError(memory.commit({ reason: "nothing", ...author }), "invalid_input", /at least one/);
        await expectError(memory.commit({ add: [lessonFixture("r", { status: "rejected" })], reason: "x", ...author }), "invalid_input", /rejected/);
        expect(await observe(memory)).toEqual(before);
      });

      it("rejects a bad lesson id on get", async () => {
        await expectError(memory.get("has space"), "invalid_input", /lesson id/);
        await expectError(memory.get("never-merged"), "not_found", /never-merged/);
      });
    });

    describe("concurrency", () => {
      it("serializes concurrent commits into one linear history with every lesson once", async () => {
        const snapshots = await Promise.all(
          Array.from({ length: 12 }, (_, index) => memory.commit({ add: [lessonFixture(`c${index}`)], reason: `c${index}`, ...author })),
        );
        expect(snapshots.map((s) => s.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, index) => index + 1));
        expect(ids(await memory.list())).toEqual(Array.from({ length: 12 }, (_, index) => `c${index}`).sort());
      });

      it("never shows a reader half a commit", async () => {
        const batch = Array.from({ length: 60 }, (_, index) => lessonFixture(`batch-${index}`));
        const commit = memory.commit({ add: batch, reason: "big", ...author });
        let done = false;
        void commit.finally(() => {
          done = true;
        });
        const listedCounts = new Set<number>();
        let searches = 0;
        while (!done) {
          const head = await memory.headVersion();
          const [listed, searched] = await Promise.all([memory.list({ version: head }), memory.search({ query: "batch happens", scope: { tenant: "acme" }, k: 100, version: head })]);
          listedCounts.add(listed.length);
          // Search is approximate nearest-neighbour, so it may miss a lesson, but it may
          // never return one that its version does not hold.
          const listedIds = new Set(ids(listed));
          expect(searched.filter((result) => !listedIds.has(result.lesson.id))).toEqual([]);
          searches++;
        }
        await commit;
        listedCounts.add((await memory.list()).length);
        expect([...listedCounts].filter((count) => count !== 0 && count !== 60)).toEqual([]);
        expect(listedCounts.has(60)).toBe(true);
        expect(searches).toBeGreaterThan(0);
      });

      it("merges nothing twice when a commit is retried, and names the version where it landed", async () => {
        const request = { add: [lessonFixture("once"), lessonFixture("twice")], reason: "merge", ...author };
        const first = await memory.commit(request);
        const error = await expectError(memory.commit(request), "conflict");
        expect(error.details).toMatchObject({ lessonId: "once", mergedAt: first.version });
        expect(await memory.headVersion()).toBe(first.version);
      });
    });

    describe("concurrent writers (several processes on one memory)", () => {
      const other = async (): Promise<LessonMemory> => {
        if (openAnother === undefined) throw new Error("no openAnother");
        return openAnother(memory);
      };

      /** Every version once, each with its parent just before it, every lesson added once. */
      async function expectLinear(reader: LessonMemory, head: number) {
        const history = (await reader.history({ limit: 10_000 })).reverse();
        expect(history.map((snapshot) => snapshot.version)).toEqual(Array.from({ length: head + 1 }, (_, version) => version));
        expect(history.slice(1).every((snapshot) => snapshot.parent === snapshot.version - 1)).toBe(true);
        const added = history.flatMap((snapshot) => (snapshot.kind === "commit" ? snapshot.change.added : []));
        expect(new Set(added).size).toBe(added.length);
        return history;
      }

      it.skipIf(openAnother === undefined)("loses no update when two writers commit at the same time", async () => {
        const second = await other();
        const run = (writer: LessonMemory, prefix: string) => async () => {
          for (let index = 0; index < 8; index++) await writer.commit({ add: [lessonFixture(`${prefix}${index}`)], reason: `${prefix}${index}`, ...author });
        };
        await Promise.all([run(memory, "a")(), run(second, "b")()]);
        expect(await memory.headVersion()).toBe(16);
        await expectLinear(second, 16);
        const expected = [...Array.from({ length: 8 }, (_, index) => `a${index}`), ...Array.from({ length: 8 }, (_, index) => `b${index}`)].sort();
        expect(ids(await memory.list())).toEqual(expected);
        expect(ids(await second.list())).toEqual(expected);
        expect(ids((await second.search({ query: "a3 happens", scope: { tenant: "acme" }, k: 100 })).map((result) => result.lesson))).toEqual(expected);
      });

      it.skipIf(openAnother === undefined)("merges a lesson two writers commit at once exactly once; the other learns where it landed", async () => {
        const second = await other();
        const request = { add: [lessonFixture("shared")], reason: "both saw it", ...author };
        const results = await Promise.allSettled([memory.commit(request), second.commit(request)]);
        const landed = results.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
        expect(landed).toHaveLength(1);
        const refused = results.find((result) => result.status === "rejected");
        expect(LessonloopError.isInstance(refused?.reason, "conflict")).toBe(true);
        expect((refused?.reason as LessonloopError).details).toMatchObject({ lessonId: "shared", mergedAt: landed[0]?.version });
        expect(await second.headVersion()).toBe(1);
        expect(ids(await memory.list())).toEqual(["shared"]);
      });

      it.skipIf(openAnother === undefined)("plans a losing write again on the new head: a retire that already happened fails as it would alone", async () => {
        await memory.commit({ add: [lessonFixture("doomed")], reason: "seed", ...author });
        const second = await other();
        const results = await Promise.allSettled([
          memory.commit({ retire: ["doomed"], reason: "mine", ...author }),
          second.commit({ retire: ["doomed"], reason: "theirs", ...author }),
        ]);
        expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
        const failed = results.find((result) => result.status === "rejected");
        expect(LessonloopError.isInstance(failed?.reason, "not_found")).toBe(true);
        await expectLinear(second, 2);
      });

      it.skipIf(openAnother === undefined)("keeps history linear when rollbacks race commits, and honours expectedHead across writers", async () => {
        await memory.commit({ add: [lessonFixture("base")], reason: "seed", ...author });
        const second = await other();
        await Promise.all([
          (async () => {
            for (let index = 0; index < 4; index++) await memory.commit({ add: [lessonFixture(`n${index}`)], reason: `n${index}`, ...author });
          })(),
          (async () => {
            for (let index = 0; index < 3; index++) await second.rollback({ to: 0, reason: `undo ${index}`, ...author });
          })(),
        ]);
        const head = await memory.headVersion();
        expect(head).toBe(8);
        const history = await expectLinear(second, head);
        // The head's lessons are exactly what replaying the history gives.
        const live: Set<string>[] = [];
        for (const snapshot of history) {
          const previous = snapshot.kind === "genesis" ? new Set<string>() : new Set(snapshot.kind === "rollback" ? live[snapshot.restores as number] : live[snapshot.version - 1]);
          if (snapshot.kind === "commit") {
            for (const id of snapshot.change.added) previous.add(id);
            for (const id of snapshot.change.retired) previous.delete(id);
          }
          live.push(previous);
        }
        expect(ids(await memory.list())).toEqual([...(live[head] as Set<string>)].sort());
        await expectError(second.commit({ add: [lessonFixture("stale")], reason: "stale", expectedHead: head - 1, ...author }), "conflict");
      });
    });
  });
}
