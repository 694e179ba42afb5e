import { LessonloopError, createLexicalEmbedder } from "@lessonloop/core";
import { edgeCaseFixture, lessonFixture, verdictFixture } from "@lessonloop/core/conformance";
import { rejectionOf } from "@lessonloop/core/testing";
import { describe, expect, it } from "vitest";
import { openChromaStores } from "./chroma-stores.js";
import { isProcessRunning, testChromaUrl, uniqueCollectionName } from "./testing/index.js";

const embedder = createLexicalEmbedder();

describe("openChromaStores", () => {
  it("opens one memory's five stores on the server at url, and close() leaves that server running", async () => {
    const name = uniqueCollectionName("stores");
    const stores = await openChromaStores({ url: testChromaUrl(), name, embedder });
    expect(stores.server).toMatchObject({ url: testChromaUrl(), external: true });
    expect(stores.memory.collections).toEqual({ lessons: `${name}-lessons`, snapshots: `${name}-snapshots`, changes: `${name}-changes` });
    expect(stores.edgeCases.collectionName).toBe(`${name}-edge-cases`);
    expect(stores.verdicts.collectionName).toBe(`${name}-verdicts`);
    expect(stores.pendingLessons.collectionName).toBe(`${name}-pending`);
    expect(stores.outcomes.collectionName).toBe(`${name}-outcomes`);
    await stores.memory.commit({ add: [lessonFixture("l-1")], reason: "seed", author: "tester" });
    await stores.edgeCases.add([edgeCaseFixture("case-1")]);
    await stores.verdicts.put(verdictFixture("l-1"));
    await stores.outcomes.record({ episodeId: "e1", scope: { tenant: "acme" }, memoryVersion: 1, servedLessons: ["l-1"], status: "success", recordedAt: "2026-01-01T00:00:00.000Z" });
    await stores.close();

    const again = await openChromaStores({ url: testChromaUrl(), name, embedder });
    expect(await again.memory.headVersion()).toBe(1);
    expect(await again.edgeCases.count()).toBe(1);
    expect((await again.verdicts.find("l-1"))?.decision).toBe("approved");
    expect((await again.outcomes.lessonUtility(["l-1"])).get("l-1")).toMatchObject({ served: 1, successes: 1 });
  });

  it("starts the embedded server without url, and close() stops it", async () => {
    const stores = await openChromaStores({ embedder, edgeCaseCollection: "my-cases" });
    const pid = stores.server.pid as number;
    try {
      expect(stores.server.external).toBe(false);
      expect(stores.edgeCases.collectionName).toBe("my-cases");
      expect(stores.memory.collections.lessons).toBe("lessonloop-lessons");
    } finally {
      await stores.close();
    }
    expect(isProcessRunning(pid)).toBe(false);
  });

  it("refuses a bad memory name before starting anything", async () => {
    const error = await rejectionOf(openChromaStores({ name: "a b", embedder }));
    expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
    expect((error as Error).message).toMatch(/memory name/);
  });
});
