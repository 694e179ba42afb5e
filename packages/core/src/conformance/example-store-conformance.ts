import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Embedder } from "../embedder.js";
import { LessonloopError } from "../errors.js";
import type { ExampleStore } from "../example-store.js";
import type { ExampleInput } from "../example.js";
import { scopeApplies, type Scope } from "../scope.js";
import { decodeRecord } from "../stored-record.js";
import { ExampleSchema } from "../example.js";
import { createLexicalEmbedder } from "../text/lexical-embedder.js";
import { rejectionOf } from "../testing/rejection-of.js";

export interface ExampleStoreConformanceParams {
  /** Shown in the suite's name, e.g. `ChromaExampleStore`. */
  name: string;
  /** A fresh, empty store for each test, embedding with `embedder` (the offline lexical one). */
  createStore: (embedder: Embedder) => Promise<ExampleStore>;
  /** Generated stores of the scope property. Default 12. */
  propertyRuns?: number;
}

/** An example recorded at `recordedAt`, created `minute` minutes into the day. */
export function exampleFixture(id: string, input: string, scope: Scope = { tenant: "acme" }, recordedAt = 0, minute = 0): ExampleInput {
  const at = new Date(Date.UTC(2026, 0, 2, 3, minute)).toISOString();
  return {
    id,
    scope,
    input,
    steps: [`call lookup({"task":"${id}"})`, `lookup → <tool_output untrusted="true">found ${id}</tool_output>`, "assistant: done"],
    episodes: [`ep-${id}`],
    strength: 1,
    recordedAt,
    createdAt: at,
    reinforcedAt: at,
  };
}

const ids = (found: { example: { id: string } }[]) => found.map((entry) => entry.example.id);

const TENANTS = ["acme", "globex", "josé & co"] as const;
const USERS = [undefined, "ana", "bob", "Ana Lopez"] as const;
const AGENTS = [undefined, "support"] as const;
const scopeArbitrary: fc.Arbitrary<Scope> = fc
  .record({ tenant: fc.constantFrom(...TENANTS), user: fc.constantFrom(...USERS), agent: fc.constantFrom(...AGENTS) })
  .map(({ tenant, user, agent }) => ({ tenant, ...(user === undefined ? {} : { user }), ...(agent === undefined ? {} : { agent }) }));

/**
 * The behaviour every `ExampleStore` must have, as one vitest suite: examples
 * read back whole, relevance ranking, scope (served like lessons; exact for
 * deduplication; never across a tenant or user, checked as a property over
 * generated stores), versioned reads and staleness, listing, deletion,
 * all-or-nothing writes and typed errors.
 */
export function describeExampleStoreConformance({ name, createStore, propertyRuns = 12 }: ExampleStoreConformanceParams): void {
  describe(`ExampleStore conformance: ${name}`, () => {
    const embedder = createLexicalEmbedder();
    const create = () => createStore(embedder);

    it("stores an example and reads it back whole, as a record of today's format", async () => {
      const store = await create();
      const input: ExampleInput = { ...exampleFixture("ex-1", "Cancel my order #123", { tenant: "acme", user: "ana", agent: "support" }, 4), strength: 3, episodes: ["ep-1", "ep-7"] };
      await store.add([input]);
      expect(await store.count()).toBe(1);
      const read = await store.get("ex-1");
      expect(read).toEqual(ExampleSchema.parse(input));
      expect(decodeRecord(ExampleSchema, JSON.stringify({ format: 1, record: read }), "example")).toEqual(read);
    });

    it("ranks the most similar tasks first", async () => {
      const store = await create();
      await store.add([
        exampleFixture("refund", "customer wants a refund because the parcel arrived damaged"),
        exampleFixture("password", "user cannot log in after a password reset"),
        exampleFixture("shipping", "when will my parcel be shipped to Berlin"),
      ]);
      const found = await store.search({ query: "refund for a damaged parcel", scope: { tenant: "acme" }, k: 2 });
      expect(ids(found)).toEqual(["refund", "shipping"]);
      expect(found[0]?.score).toBeGreaterThan(found[1]?.score ?? 1);
      expect(found[0]?.score).toBeLessThanOrEqual(1.000001);
    });

    it("serves examples as lessons are: the tenant's and the user's own, never another user's or tenant's", async () => {
      const store = await create();
      await store.add([
        exampleFixture("tenant-wide", "book a flight", { tenant: "acme" }),
        exampleFixture("ana", "book a flight", { tenant: "acme", user: "ana" }),
        exampleFixture("ana-travel", "book a flight", { tenant: "acme", user: "ana", agent: "travel" }),
        exampleFixture("bob", "book a flight", { tenant: "acme", user: "bob" }),
        exampleFixture("globex", "book a flight", { tenant: "globex" }),
      ]);
      const query = "book a flight";
      const served = async (scope: Scope) => ids(await store.search({ query, scope, k: 10 })).sort();
      expect(await served({ tenant: "acme", user: "ana" })).toEqual(["ana", "tenant-wide"]);
      expect(await served({ tenant: "acme", user: "ana", agent: "travel" })).toEqual(["ana", "ana-travel", "tenant-wide"]);
      expect(await served({ tenant: "acme" })).toEqual(["tenant-wide"]);
      expect(await served({ tenant: "initech" })).toEqual([]);
      // Exact: one scope's own examples, as deduplication and the per-scope bound see them.
      expect(ids(await store.search({ query, scope: { tenant: "acme", user: "ana" }, match: "exact", k: 10 }))).toEqual(["ana"]);
      expect(ids(await store.search({ query, scope: { tenant: "acme" }, match: "exact", k: 10 }))).toEqual(["tenant-wide"]);
      // Within: the tenant and everything narrower in it.
      expect(ids(await store.search({ query, scope: { tenant: "acme" }, match: "within", k: 10 })).sort()).toEqual(["ana", "ana-travel", "bob", "tenant-wide"]);
      // By id, outside the scope is not_found, the same answer as a missing id.
      expect(LessonloopError.isInstance(await rejectionOf(store.get("bob", { scope: { tenant: "acme", user: "ana" } })), "not_found")).toBe(true);
      expect(LessonloopError.isInstance(await rejectionOf(store.get("missing")), "not_found")).toBe(true);
    });

    it("property: no example reaches a run of another tenant or user", async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(scopeArbitrary, { minLength: 1, maxLength: 12 }), fc.array(scopeArbitrary, { minLength: 1, maxLength: 4 }), async (stored, requests) => {
          const store = await create();
          await store.add(stored.map((scope, index) => exampleFixture(`ex-${index}`, `pay the invoice number ${index % 3}`, scope)));
          for (const request of requests) {
            const found = await store.search({ query: "pay the invoice", scope: request, k: 100 });
            for (const { example } of found) {
              expect(example.scope.tenant).toBe(request.tenant);
              if (example.scope.user !== undefined) expect(example.scope.user).toBe(request.user);
              expect(scopeApplies(example.scope, request)).toBe(true);
            }
            // Nothing that applies is missed either.
            expect(found.length).toBe(stored.filter((scope) => scopeApplies(scope, request)).length);
          }
        }),
        { numRuns: propertyRuns, seed: 22 },
      );
    }, 120_000);

    it("reads at a memory version see the examples valid at it: recorded at or before it, not stale as of it", async () => {
      const store = await create();
      await store.add([exampleFixture("v3", "renew the passport", { tenant: "acme" }, 3), exampleFixture("v1", "renew the passport online", { tenant: "acme" }, 1)]);
      const at = async (version?: number, includeStale = false) =>
        ids(await store.search({ query: "renew the passport", scope: { tenant: "acme" }, k: 10, includeStale, ...(version === undefined ? {} : { version }) })).sort();
      expect(await at(0)).toEqual([]);
      expect(await at(2)).toEqual(["v1"]);
      expect(await at(3)).toEqual(["v1", "v3"]);
      expect(await store.markStale({ ids: ["v3"], since: 5, reason: "similar_failure", by: "ep-9" })).toEqual(["v3"]);
      expect(await at(4)).toEqual(["v1", "v3"]);
      expect(await at(5)).toEqual(["v1"]);
      expect(await at()).toEqual(["v1"]);
      expect(await at(undefined, true)).toEqual(["v1", "v3"]);
      expect(await at(2, true)).toEqual(["v1"]);
      const stale = await store.get("v3");
      expect(stale).toMatchObject({ staleSince: 5, staleReason: "similar_failure", staleBy: "ep-9" });
      // An example already stale keeps its first reason.
      expect(await store.markStale({ ids: ["v3"], since: 7, reason: "rollback" })).toEqual([]);
      expect((await store.get("v3")).staleReason).toBe("similar_failure");
    });

    it("marks stale by recording version within a scope (a rollback), leaving other scopes and earlier examples", async () => {
      const store = await create();
      await store.add([
        exampleFixture("early", "ship the order", { tenant: "acme" }, 2),
        exampleFixture("late", "ship the order", { tenant: "acme" }, 5),
        exampleFixture("late-ana", "ship the order", { tenant: "acme", user: "ana" }, 6),
        exampleFixture("late-globex", "ship the order", { tenant: "globex" }, 6),
      ]);
      expect(await store.markStale({ within: { tenant: "acme" }, recordedAfter: 3, since: 8, reason: "rollback", by: "8" })).toEqual(["late", "late-ana"]);
      expect(ids(await store.search({ query: "ship the order", scope: { tenant: "acme", user: "ana" }, k: 10 }))).toEqual(["early"]);
      expect(ids(await store.search({ query: "ship the order", scope: { tenant: "globex" }, k: 10 }))).toEqual(["late-globex"]);
      // Ids outside the scope named are left alone.
      expect(await store.markStale({ ids: ["late-globex"], within: { tenant: "acme" }, since: 9, reason: "rollback" })).toEqual([]);
      // Without a scope, a global rollback reaches every tenant.
      expect(await store.markStale({ recordedAfter: 3, since: 9, reason: "rollback" })).toEqual(["late-globex"]);
    });

    it("lists a scope's examples oldest first, live ones unless asked for stale ones", async () => {
      const store = await create();
      await store.add([
        exampleFixture("second", "a", { tenant: "acme", user: "ana" }, 0, 2),
        exampleFixture("first", "b", { tenant: "acme", user: "ana" }, 0, 1),
        exampleFixture("tenant", "c", { tenant: "acme" }, 0, 0),
        exampleFixture("bob", "d", { tenant: "acme", user: "bob" }, 0, 0),
      ]);
      await store.markStale({ ids: ["second"], since: 1, reason: "contradicting_lesson", by: "lesson-4" });
      const list = async (scope: Scope, match: "exact" | "within" | "applies", includeStale = false) => (await store.list({ scope, match, includeStale })).map((example) => example.id);
      expect(await list({ tenant: "acme", user: "ana" }, "exact")).toEqual(["first"]);
      expect(await list({ tenant: "acme", user: "ana" }, "exact", true)).toEqual(["first", "second"]);
      expect(await list({ tenant: "acme", user: "ana" }, "applies")).toEqual(["tenant", "first"]);
      expect(await list({ tenant: "acme" }, "within")).toEqual(["bob", "tenant", "first"]);
    });

    it("replaces an example added again with the same id, and deletes by id", async () => {
      const store = await create();
      await store.add([exampleFixture("same", "first version")]);
      await store.add([{ ...exampleFixture("same", "first version"), strength: 2, episodes: ["ep-a", "ep-b"] }]);
      expect(await store.count()).toBe(1);
      expect((await store.get("same")).strength).toBe(2);
      await store.add([exampleFixture("other", "second")]);
      await store.delete(["same", "never-stored"]);
      expect(await store.count()).toBe(1);
      expect(LessonloopError.isInstance(await rejectionOf(store.get("same")), "not_found")).toBe(true);
    });

    it("writes nothing when one example of a batch is invalid, and names the bad field", async () => {
      const store = await create();
      const bad = { ...exampleFixture("bad", "x"), steps: [] };
      const error = await rejectionOf(() => store.add([exampleFixture("good", "would be new"), bad]));
      expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
      expect((error as Error).message).toContain("1.steps");
      expect(await store.count()).toBe(0);
      const halfStale = await rejectionOf(() => store.add([{ ...exampleFixture("half", "y"), staleSince: 3 }]));
      expect((halfStale as Error).message).toContain("staleReason");
    });

    it("rejects a bad query, scope or stale request as invalid_input", async () => {
      const store = await create();
      for (const request of [
        { query: "", scope: { tenant: "acme" } },
        { query: "x", scope: { tenant: "a\nb" } },
        { query: "x", scope: { tenant: "acme" }, version: -1 },
      ]) {
        expect(LessonloopError.isInstance(await rejectionOf(() => store.search(request)), "invalid_input")).toBe(true);
      }
      const unselected = await rejectionOf(() => store.markStale({ since: 1, reason: "rollback" }));
      expect(LessonloopError.isInstance(unselected, "invalid_input")).toBe(true);
      expect((unselected as Error).message).toContain("recordedAfter");
    });
  });
}
