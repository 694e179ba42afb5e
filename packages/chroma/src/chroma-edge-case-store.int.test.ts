import { EdgeCaseSchema, LessonloopError, createLexicalEmbedder, type EdgeCaseInput, type Scope } from "@lessonloop/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChromaEdgeCaseStore } from "./chroma-edge-case-store.js";
import { connectChroma, startChroma, type ChromaServer } from "./chroma-server.js";
import { testChromaUrl, uniqueCollectionName } from "./testing/index.js";
import { edgeCaseFixture } from "@lessonloop/core/conformance";
import { rejectionOf } from "@lessonloop/core/testing";

const embedder = createLexicalEmbedder();

/** A stored regression case asking `input`. */
function edgeCase(id: string, input: string, scope: Scope = { tenant: "acme" }, tags: string[] = []): EdgeCaseInput {
  return edgeCaseFixture(id, { input, scope, tags, kind: "regression" });
}

// What every EdgeCaseStore does is in edge-case-store.conformance.int.test.ts; here, what only Chroma's does.
describe("ChromaEdgeCaseStore", () => {
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

  it("reads cases stored before records carried a format (the bare case as JSON)", async () => {
    const collection = uniqueCollectionName("format-0");
    const store = await ChromaEdgeCaseStore.open({ url: testChromaUrl(), collection, embedder });
    const raw = await connectChroma(testChromaUrl()).getCollection({ name: collection });
    const old = EdgeCaseSchema.parse(edgeCase("old", "reset the router", { tenant: "acme" }, ["network"]));
    await raw.add({ ids: ["old"], embeddings: [await embedder.embedQuery(old.input)], documents: [JSON.stringify(old)], metadatas: [{ tenant: "acme", user: "*", agent: "*", kind: "regression", "tag:network": true }] });
    expect(await store.get("old")).toEqual(old);
    expect((await store.findRelevant({ query: "router", scope: { tenant: "acme" }, tags: ["network"] }))[0]?.edgeCase).toEqual(old);
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
