import { LessonloopError, createLexicalEmbedder, type EdgeCaseInput, type Scope } from "@lessonloop/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChromaEdgeCaseStore } from "./chroma-edge-case-store.js";
import { connectChroma, startChroma, type ChromaServer } from "./chroma-server.js";
import { testChromaUrl, uniqueCollectionName } from "./testing/index.js";
import { rejectionOf } from "@lessonloop/core/testing";

const embedder = createLexicalEmbedder();

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


async function openStore(prefix: string): Promise<ChromaEdgeCaseStore> {
  return ChromaEdgeCaseStore.open({ url: testChromaUrl(), collection: uniqueCollectionName(prefix), embedder });
}

const ids = (found: { edgeCase: { id: string } }[]) => found.map((entry) => entry.edgeCase.id);

describe("ChromaEdgeCaseStore", () => {
  it("stores a case and reads it back whole", async () => {
    const store = await openStore("roundtrip");
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
    const store = await openStore("ranking");
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
    const store = await openStore("tenants");
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
    const store = await openStore("users");
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
    const store = await openStore("tags");
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
    const store = await openStore("k");
    await store.add(Array.from({ length: 12 }, (_, i) => edgeCase(`c-${i}`, `question number ${i} about the weather`)));
    expect(await store.findRelevant({ query: "weather", scope: { tenant: "acme" }, k: 5 })).toHaveLength(5);
    expect(await store.findRelevant({ query: "weather", scope: { tenant: "acme" } })).toHaveLength(10);
  });

  it("replaces a case added again with the same id", async () => {
    const store = await openStore("upsert");
    await store.add([edgeCase("same", "first version")]);
    await store.add([edgeCase("same", "second version", { tenant: "acme" }, ["v2"])]);
    expect(await store.count()).toBe(1);
    expect((await store.get("same")).input).toBe("second version");
    // Within one call the last case with an id wins.
    await store.add([edgeCase("dup", "one"), edgeCase("dup", "two")]);
    expect((await store.get("dup")).input).toBe("two");
  });

  it("writes nothing when one case of a batch is invalid, and names the bad field", async () => {
    const store = await openStore("atomic");
    await store.add([edgeCase("existing", "already here")]);
    const bad = { ...edgeCase("bad", "x"), input: "" };
    const error = await rejectionOf(() => store.add([edgeCase("good", "would be new"), bad, edgeCase("existing", "would overwrite")]));
    expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
    expect((error as Error).message).toContain("1.input");
    expect(await store.count()).toBe(1);
    expect((await store.get("existing")).input).toBe("already here");
    expect(LessonloopError.isInstance(await rejectionOf(() => store.get("good")), "not_found")).toBe(true);
  });

  it("writes in batches, each vector with its own case", async () => {
    const store = await ChromaEdgeCaseStore.open({ url: testChromaUrl(), collection: uniqueCollectionName("batches"), embedder, writeBatchSize: 4 });
    const topics = ["router", "invoice", "password", "parcel", "refund", "weather", "flight", "hotel", "printer", "laptop"];
    await store.add(topics.map((topic) => edgeCase(`about-${topic}`, `a question about the ${topic}`)));
    expect(await store.count()).toBe(topics.length);
    for (const topic of ["router", "hotel", "laptop"]) {
      const [best] = await store.findRelevant({ query: topic, scope: { tenant: "acme" }, k: 1 });
      expect(best?.edgeCase.id).toBe(`about-${topic}`);
    }
  });

  it("reports an unknown id as not_found and a malformed one as invalid_input", async () => {
    const store = await openStore("notfound");
    const missing = await rejectionOf(() => store.get("nope"));
    expect(LessonloopError.isInstance(missing, "not_found")).toBe(true);
    expect((missing as Error).message).toContain('"nope"');
    expect(LessonloopError.isInstance(await rejectionOf(() => store.get("")), "invalid_input")).toBe(true);
  });

  it("rejects an empty or huge query and a bad scope", async () => {
    const store = await openStore("queries");
    for (const query of ["", "   ", "x".repeat(20_001)]) {
      const error = await rejectionOf(() => store.findRelevant({ query, scope: { tenant: "acme" } }));
      expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
      expect((error as Error).message).toContain("query");
    }
    const badScope = await rejectionOf(() => store.findRelevant({ query: "x", scope: { tenant: "a*" } }));
    expect(LessonloopError.isInstance(badScope, "invalid_input")).toBe(true);
  });

  it("reads a damaged record as a typed corrupt_store error", async () => {
    const collection = uniqueCollectionName("corrupt");
    const store = await ChromaEdgeCaseStore.open({ url: testChromaUrl(), collection, embedder });
    const raw = await connectChroma(testChromaUrl()).getCollection({ name: collection });
    const vector = await embedder.embedQuery("broken");
    await raw.add({ ids: ["broken"], embeddings: [vector], documents: ['{"id":"broken","input":42}'], metadatas: [{ tenant: "acme", user: "*", agent: "*" }] });
    const error = await rejectionOf(() => store.get("broken"));
    expect(LessonloopError.isInstance(error, "corrupt_store")).toBe(true);
    expect((error as Error).message).toContain("input");
    expect(LessonloopError.isInstance(await rejectionOf(() => store.findRelevant({ query: "broken", scope: { tenant: "acme" } })), "corrupt_store")).toBe(true);
  });

  it("refuses a collection built with another embedder", async () => {
    const collection = uniqueCollectionName("embedder");
    await ChromaEdgeCaseStore.open({ url: testChromaUrl(), collection, embedder });
    const error = await rejectionOf(() => ChromaEdgeCaseStore.open({ url: testChromaUrl(), collection, embedder: createLexicalEmbedder({ dimensions: 64 }) }));
    expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
    expect((error as Error).message).toContain("lexical-v1-1024");
  });

  it("rejects an invalid collection name", async () => {
    const error = await rejectionOf(() => ChromaEdgeCaseStore.open({ url: testChromaUrl(), collection: "no spaces allowed", embedder }));
    expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
  });

  describe("when the server goes away", () => {
    let server: ChromaServer;
    let store: ChromaEdgeCaseStore;
    beforeAll(async () => {
      server = await startChroma();
      store = await ChromaEdgeCaseStore.open({ url: server.url, embedder });
      await store.add([edgeCase("one", "still here?")]);
      await server.stop();
    });
    afterAll(async () => {
      await server.stop();
    });

    it("reports store_unavailable with the URL and what to do", async () => {
      for (const run of [
        () => store.count(),
        () => store.get("one"),
        () => store.add([edgeCase("two", "lost")]),
        () => store.findRelevant({ query: "still here", scope: { tenant: "acme" } }),
      ]) {
        const error = await rejectionOf(run);
        expect(LessonloopError.isInstance(error, "store_unavailable")).toBe(true);
        expect((error as Error).message).toContain(server.url);
        expect((error as Error).message).toMatch(/Start it|CHROMA_URL/);
      }
      const opening = await rejectionOf(() => ChromaEdgeCaseStore.open({ url: server.url, embedder }));
      expect(LessonloopError.isInstance(opening, "store_unavailable")).toBe(true);
    });
  });
});
