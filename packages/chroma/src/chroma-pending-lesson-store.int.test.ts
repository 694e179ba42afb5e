import { LessonloopError } from "@lessonloop/core";
import { PendingLessonSchema } from "@lessonloop/core/internal";
import { describePendingLessonStoreConformance, lessonFixture, verdictFixture } from "@lessonloop/core/conformance";
import { rejectionOf } from "@lessonloop/core/testing";
import { describe, expect, it } from "vitest";
import { ChromaPendingLessonStore } from "./chroma-pending-lesson-store.js";
import { connectChroma } from "./chroma-server.js";
import { testChromaUrl, uniqueCollectionName } from "./testing/index.js";

const FIXED_TIME = "2026-01-01T00:00:00.000Z";
const memoryOf = (store: ChromaPendingLessonStore) => store.collectionName.replace(/-pending$/, "");

describePendingLessonStoreConformance({
  name: "ChromaPendingLessonStore",
  createStore: (clock) => ChromaPendingLessonStore.open({ url: testChromaUrl(), memory: uniqueCollectionName("pending"), clock }),
  reopen: (store) => ChromaPendingLessonStore.open({ url: testChromaUrl(), memory: memoryOf(store as ChromaPendingLessonStore) }),
});

describe("ChromaPendingLessonStore", () => {
  it("keeps lessons in <memory>-pending", async () => {
    const memory = uniqueCollectionName("pending");
    const store = await ChromaPendingLessonStore.open({ url: testChromaUrl(), memory });
    expect(store.collectionName).toBe(`${memory}-pending`);
  });

  it("reports a damaged record as corrupt_store naming the field", async () => {
    const memory = uniqueCollectionName("pending");
    const store = await ChromaPendingLessonStore.open({ url: testChromaUrl(), memory });
    await store.park({ lesson: lessonFixture("l-1") });
    const collection = await connectChroma(testChromaUrl()).getCollection({ name: `${memory}-pending` });
    await collection.update({ ids: ["l-1"], embeddings: [[0]], documents: [JSON.stringify({ lesson: { id: "l-1" }, status: "pending", parkedAt: FIXED_TIME })] });
    const error = await rejectionOf(store.get("l-1"));
    expect(LessonloopError.isInstance(error, "corrupt_store")).toBe(true);
    expect((error as Error).message).toMatch(/lesson\.trigger/);
  });

  it("reads lessons parked before records carried a format (the bare record as JSON)", async () => {
    const memory = uniqueCollectionName("pending");
    const store = await ChromaPendingLessonStore.open({ url: testChromaUrl(), memory });
    const raw = await connectChroma(testChromaUrl()).getCollection({ name: `${memory}-pending` });
    const old = PendingLessonSchema.parse({ lesson: lessonFixture("old"), verdict: verdictFixture("old"), status: "pending", parkedAt: FIXED_TIME });
    await raw.add({ ids: ["old"], embeddings: [[0]], documents: [JSON.stringify(old)], metadatas: [{ lessonId: "old", status: "pending", tenant: "acme", parkedAtMs: Date.parse(FIXED_TIME) }] });
    expect(await store.get("old")).toEqual(old);
    expect(await store.list({ status: "pending", scope: { tenant: "acme" } })).toEqual([old]);
  });

  it("refuses a bad memory name before touching Chroma", async () => {
    const error = await rejectionOf(ChromaPendingLessonStore.open({ url: testChromaUrl(), memory: "a b" }));
    expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
    expect((error as Error).message).toMatch(/memory name/);
  });
});
