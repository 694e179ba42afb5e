import { describe, expect, it } from "vitest";
import type { EdgeCaseStore } from "../edge-case-store.js";
import type { EdgeCaseInput } from "../edge-case.js";
import type { Embedder } from "../embedder.js";
import { LessonloopError } from "../errors.js";
import type { Scope } from "../scope.js";
import { createLexicalEmbedder } from "../text/lexical-embedder.js";
import { rejectionOf } from "../testing/rejection-of.js";

export interface EdgeCaseStoreConformanceParams {
  /** Shown in the suite's name, e.g. `ChromaEdgeCaseStore`. */
  name: string;
  /** A fresh, empty store for each test, embedding with `embedder` (the offline lexical one). */
  createStore: (embedder: Embedder) => Promise<EdgeCaseStore>;
}

function edgeCase(id: string, input: string, scope: Scope = { tenant: "acme" }, tags: string[] = []): EdgeCaseInput {
  return {
    id,
    input,
    check: { type: "answer", mustContain: ["ok"] },
    kind: "regression",
    scope,
    tags,
    createdAt: "2026-01-02T03:04:05.000Z",
  };
}

const ids = (found: { edgeCase: { id: string } }[]) => found.map((entry) => entry.edgeCase.id);

/**
 * The behaviour every `EdgeCaseStore` must have, as one vitest suite: cases
 * read back whole, relevance ranking, scope and tag filters, `k`, replacement
 * by id, all-or-nothing writes and typed errors.
 */
export function describeEdgeCaseStoreConformance({ name, createStore }: EdgeCaseStoreConformanceParams): void {
  describe(`EdgeCaseStore conformance: ${name}`, () => {
    const embedder = createLexicalEmbedder();
    const create = () => createStore(embedder);

    it("stores a case and reads it back whole", async () => {
      const store = await create();
      const input: EdgeCaseInput = {
        ...edgeCase("case-1", "Cancel my order #123", { tenant: "acme", user: "ana", agent: "support" }, ["orders", "needs review", "größe"]),
        check: { type: "tool_call", name: "cancel_order", args: { orderId: "123" } },
        kind: "must_pass",
        originEpisode: "ep-9",
      };
      await store.add([input]);
      expect(await store.count()).toBe(1);
      expect(await store.get("case-1")).toEqual(input);
    });

    it("ranks the most relevant cases first", async () => {
      const store = await create();
      await store.add([
        edgeCase("refund", "customer wants a refund because the parcel arrived damaged"),
        edgeCase("password", "user cannot log in after a password reset"),
        edgeCase("shipping", "when will my parcel be shipped to Berlin"),
        edgeCase("invoice", "send me a copy of last month's invoice"),
      ]);
      const found = await store.findRelevant({ query: "refund for a damaged parcel", scope: { tenant: "acme" }, k: 3 });
      expect(ids(found)).toHaveLength(3);
      expect(ids(found)[0]).toBe("refund");
      expect(ids(found)[1]).toBe("shipping");
      const scores = found.map((entry) => entry.score);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
      expect(scores[0]).toBeGreaterThan(0.3);
      expect(scores[0]).toBeLessThanOrEqual(1.000001);
    });

    it("never returns another tenant's cases", async () => {
      const store = await create();
      await store.add([
        edgeCase("a-1", "reset the router", { tenant: "tenant-a" }),
        edgeCase("b-1", "reset the router", { tenant: "tenant-b" }),
        edgeCase("b-2", "reset the router now", { tenant: "tenant-b", user: "bob" }),
      ]);
      const found = await store.findRelevant({ query: "reset the router", scope: { tenant: "tenant-a" }, k: 10 });
      expect(ids(found)).toEqual(["a-1"]);
      expect(await store.findRelevant({ query: "reset the router", scope: { tenant: "tenant-c" } })).toEqual([]);
      // By id too: outside the scope a case is not_found, the same answer as a missing id.
      expect((await store.get("a-1", { scope: { tenant: "tenant-a" } })).id).toBe("a-1");
      for (const [id, scope] of [["b-1", { tenant: "tenant-a" }], ["b-2", { tenant: "tenant-b", user: "ana" }], ["missing", { tenant: "tenant-a" }]] as const) {
        expect(LessonloopError.isInstance(await rejectionOf(store.get(id, { scope })), "not_found"), id).toBe(true);
      }
    });

    it("returns only cases within the query's scope: a user's own, not tenant-wide or other users'", async () => {
      const store = await create();
      await store.add([
        edgeCase("tenant-wide", "book a flight", { tenant: "acme" }),
        edgeCase("ana", "book a flight", { tenant: "acme", user: "ana" }),
        edgeCase("ana-agent", "book a flight", { tenant: "acme", user: "ana", agent: "travel" }),
        edgeCase("bob", "book a flight", { tenant: "acme", user: "bob" }),
        edgeCase("agent-only", "book a flight", { tenant: "acme", agent: "travel" }),
      ]);
      const query = "book a flight";
      const tenant = await store.findRelevant({ query, scope: { tenant: "acme" }, k: 10 });
      expect(ids(tenant).sort()).toEqual(["agent-only", "ana", "ana-agent", "bob", "tenant-wide"]);
      const ana = await store.findRelevant({ query, scope: { tenant: "acme", user: "ana" }, k: 10 });
      expect(ids(ana).sort()).toEqual(["ana", "ana-agent"]);
      const travel = await store.findRelevant({ query, scope: { tenant: "acme", agent: "travel" }, k: 10 });
      expect(ids(travel).sort()).toEqual(["agent-only", "ana-agent"]);
      const anaTravel = await store.findRelevant({ query, scope: { tenant: "acme", user: "ana", agent: "travel" }, k: 10 });
      expect(ids(anaTravel)).toEqual(["ana-agent"]);
    });

    it("requires every tag asked for", async () => {
      const store = await create();
      await store.add([
        edgeCase("billing", "charge the card", { tenant: "acme" }, ["billing"]),
        edgeCase("billing-urgent", "charge the card", { tenant: "acme" }, ["billing", "urgent"]),
        edgeCase("urgent", "charge the card", { tenant: "acme" }, ["urgent"]),
        edgeCase("spaced", "charge the card", { tenant: "acme" }, ["needs review", "größe"]),
      ]);
      const query = "charge the card";
      const scope = { tenant: "acme" };
      expect(ids(await store.findRelevant({ query, scope, tags: ["billing"] })).sort()).toEqual(["billing", "billing-urgent"]);
      expect(ids(await store.findRelevant({ query, scope, tags: ["billing", "urgent"] }))).toEqual(["billing-urgent"]);
      expect(ids(await store.findRelevant({ query, scope, tags: ["needs review", "größe"] }))).toEqual(["spaced"]);
      expect(await store.findRelevant({ query, scope, tags: ["missing"] })).toEqual([]);
    });

    it("honours k", async () => {
      const store = await create();
      await store.add(Array.from({ length: 12 }, (_, i) => edgeCase(`c-${i}`, `question number ${i} about the weather`)));
      expect(await store.findRelevant({ query: "weather", scope: { tenant: "acme" }, k: 5 })).toHaveLength(5);
      expect(await store.findRelevant({ query: "weather", scope: { tenant: "acme" } })).toHaveLength(10);
    });

    it("replaces a case added again with the same id", async () => {
      const store = await create();
      await store.add([edgeCase("same", "first version")]);
      await store.add([edgeCase("same", "second version", { tenant: "acme" }, ["v2"])]);
      expect(await store.count()).toBe(1);
      expect((await store.get("same")).input).toBe("second version");
      // Within one call the last case with an id wins.
      await store.add([edgeCase("dup", "one"), edgeCase("dup", "two")]);
      expect((await store.get("dup")).input).toBe("two");
    });

    it("writes nothing when one case of a batch is invalid, and names the bad field", async () => {
      const store = await create();
      await store.add([edgeCase("existing", "already here")]);
      const bad = { ...edgeCase("bad", "x"), input: "" };
      const error = await rejectionOf(() => store.add([edgeCase("good", "would be new"), bad, edgeCase("existing", "would overwrite")]));
      expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
      expect((error as Error).message).toContain("1.input");
      expect(await store.count()).toBe(1);
      expect((await store.get("existing")).input).toBe("already here");
      expect(LessonloopError.isInstance(await rejectionOf(() => store.get("good")), "not_found")).toBe(true);
    });

    it("reports an unknown id as not_found and a malformed one as invalid_input", async () => {
      const store = await create();
      const missing = await rejectionOf(() => store.get("nope"));
      expect(LessonloopError.isInstance(missing, "not_found")).toBe(true);
      expect((missing as Error).message).toContain('"nope"');
      expect(LessonloopError.isInstance(await rejectionOf(() => store.get("")), "invalid_input")).toBe(true);
    });

    it("rejects an empty or huge query and a bad scope", async () => {
      const store = await create();
      for (const query of ["", "   ", "x".repeat(20_001)]) {
        const error = await rejectionOf(() => store.findRelevant({ query, scope: { tenant: "acme" } }));
        expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
        expect((error as Error).message).toContain("query");
      }
      // Any visible text is a name (issue 20); a line break, an invisible character or 257 characters is not.
      for (const tenant of ["a\nb", "a\u2060b", "x".repeat(257)]) {
        const badScope = await rejectionOf(() => store.findRelevant({ query: "x", scope: { tenant } }));
        expect(LessonloopError.isInstance(badScope, "invalid_input")).toBe(true);
      }
    });
  });
}
