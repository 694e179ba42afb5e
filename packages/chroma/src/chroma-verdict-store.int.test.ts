import { LessonloopError } from "@lessonloop/core";
import { VerdictSchema } from "@lessonloop/core/internal";
import { describeVerdictStoreConformance, verdictFixture } from "@lessonloop/core/conformance";
import { rejectionOf } from "@lessonloop/core/testing";
import { describe, expect, it } from "vitest";
import { ChromaVerdictStore } from "./chroma-verdict-store.js";
import { connectChroma } from "./chroma-server.js";
import { testChromaUrl, uniqueCollectionName } from "./testing/index.js";

const memoryOf = (store: ChromaVerdictStore) => store.collectionName.replace(/-verdicts$/, "");

describeVerdictStoreConformance({
  name: "ChromaVerdictStore",
  createStore: () => ChromaVerdictStore.open({ url: testChromaUrl(), memory: uniqueCollectionName("verdicts") }),
  reopen: (store) => ChromaVerdictStore.open({ url: testChromaUrl(), memory: memoryOf(store as ChromaVerdictStore) }),
});

describe("ChromaVerdictStore", () => {
  it("uses <memory>-verdicts", async () => {
    const memory = uniqueCollectionName("verdicts");
    const store = await ChromaVerdictStore.open({ url: testChromaUrl(), memory });
    expect(store.collectionName).toBe(`${memory}-verdicts`);
  });

  it("reads verdicts stored before records carried a format, and reports a damaged one as corrupt_store", async () => {
    const memory = uniqueCollectionName("verdicts");
    const store = await ChromaVerdictStore.open({ url: testChromaUrl(), memory });
    const raw = await connectChroma(testChromaUrl()).getCollection({ name: `${memory}-verdicts` });
    const old = VerdictSchema.parse(verdictFixture("old"));
    await raw.add({ ids: ["old", "bad"], embeddings: [[0], [0]], documents: [JSON.stringify(old), JSON.stringify({ ...old, lessonId: "bad", tally: "2-0" })] });
    expect(await store.find("old")).toEqual(old);
    const error = await rejectionOf(store.find("bad"));
    expect(LessonloopError.isInstance(error, "corrupt_store")).toBe(true);
    expect((error as Error).message).toMatch(/tally/);
  });

  it("refuses a bad memory name before touching Chroma", async () => {
    const error = await rejectionOf(ChromaVerdictStore.open({ url: testChromaUrl(), memory: "a b" }));
    expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
    expect((error as Error).message).toMatch(/memory name/);
  });
});
