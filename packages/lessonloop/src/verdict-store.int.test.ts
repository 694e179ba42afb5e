import { testChromaUrl, uniqueCollectionName } from "@lessonloop/chroma/testing";
import { LessonloopError } from "@lessonloop/core";
import { rejectionOf } from "@lessonloop/core/testing";
import { describe, expect, it } from "vitest";
import { verdictFor } from "./tests/review-fixtures.js";
import { ChromaVerdictStore, InMemoryVerdictStore, type VerdictStore } from "./verdict-store.js";

function describeVerdictStore(name: string, create: () => Promise<VerdictStore>): void {
  describe(`VerdictStore contract: ${name}`, () => {
    it("keeps a verdict with every vote by lesson id; the latest verdict on a lesson wins", async () => {
      const store = await create();
      expect(await store.find("l-1")).toBeUndefined();
      await store.put(verdictFor("l-1", "rejected"));
      await store.put(verdictFor("l-2"));
      await store.put(verdictFor("l-1", "approved"));
      const found = await store.find("l-1");
      expect(found?.decision).toBe("approved");
      expect(found?.votes[0]).toMatchObject({ validator: "alpha", decision: "approve" });
      expect((await store.find("l-2"))?.lessonId).toBe("l-2");
    });

    it("refuses a malformed verdict and names the field", async () => {
      const store = await create();
      const error = await rejectionOf(store.put({ ...verdictFor("l-1"), tally: { approve: -1, reject: 0, abstain: 0 } }));
      expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
      expect((error as Error).message).toMatch(/tally\.approve/);
      expect(await store.find("l-1")).toBeUndefined();
    });
  });
}

describeVerdictStore("InMemoryVerdictStore", async () => new InMemoryVerdictStore());
describeVerdictStore("ChromaVerdictStore", async () => ChromaVerdictStore.open({ url: testChromaUrl(), memory: uniqueCollectionName("verdicts") }));

describe("ChromaVerdictStore", () => {
  it("uses <memory>-verdicts and keeps verdicts across reopening", async () => {
    const memory = uniqueCollectionName("verdicts");
    const store = await ChromaVerdictStore.open({ url: testChromaUrl(), memory });
    expect(store.collectionName).toBe(`${memory}-verdicts`);
    await store.put(verdictFor("l-1"));
    const reopened = await ChromaVerdictStore.open({ url: testChromaUrl(), memory });
    expect((await reopened.find("l-1"))?.tally).toEqual({ approve: 2, reject: 0, abstain: 1 });
  });
});
