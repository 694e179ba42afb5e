import { describe, expect, it } from "vitest";
import { LessonloopError } from "../errors.js";
import { rejectionOf } from "../testing/rejection-of.js";
import type { VerdictStore } from "../verdict-store.js";
import { verdictFixture } from "./store-fixtures.js";

export interface VerdictStoreConformanceParams {
  /** Shown in the suite's name, e.g. `ChromaVerdictStore`. */
  name: string;
  /** A fresh, empty store for each test. */
  createStore: () => Promise<VerdictStore>;
  /** The same stored verdicts opened again, as a new process would. When given, the suite checks they persist. */
  reopen?: (store: VerdictStore) => Promise<VerdictStore>;
}

/** The behaviour every `VerdictStore` must have, as one vitest suite. */
export function describeVerdictStoreConformance({ name, createStore, reopen }: VerdictStoreConformanceParams): void {
  describe(`VerdictStore conformance: ${name}`, () => {
    it("keeps a verdict with every vote by lesson id; the latest verdict on a lesson wins", async () => {
      const store = await createStore();
      expect(await store.find("l-1")).toBeUndefined();
      await store.put(verdictFixture("l-1", "rejected"));
      await store.put(verdictFixture("l-2"));
      await store.put(verdictFixture("l-1", "approved"));
      const found = await store.find("l-1");
      expect(found?.decision).toBe("approved");
      expect(found?.votes[0]).toMatchObject({ validator: "alpha", decision: "approve" });
      expect((await store.find("l-2"))?.lessonId).toBe("l-2");
    });

    it("refuses a malformed verdict and names the field", async () => {
      const store = await createStore();
      const error = await rejectionOf(store.put({ ...verdictFixture("l-1"), tally: { approve: -1, reject: 0, abstain: 0 } }));
      expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
      expect((error as Error).message).toMatch(/tally\.approve/);
      expect(await store.find("l-1")).toBeUndefined();
    });

    it("refuses a bad lesson id on find", async () => {
      const store = await createStore();
      expect(LessonloopError.isInstance(await rejectionOf(store.find("has space")), "invalid_input")).toBe(true);
    });

    it.skipIf(reopen === undefined)("keeps verdicts across reopening", async () => {
      const store = await createStore();
      await store.put(verdictFixture("l-1"));
      const reopened = await (reopen as NonNullable<typeof reopen>)(store);
      expect((await reopened.find("l-1"))?.tally).toEqual({ approve: 2, reject: 0, abstain: 1 });
    });
  });
}
