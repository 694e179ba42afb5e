import { describe, expect, it } from "vitest";
import { LessonloopError } from "../errors.js";
import type { PendingLessonStore } from "../pending-lesson-store.js";
import { createManualClock, type ManualClock } from "../testing/manual-clock.js";
import { rejectionOf } from "../testing/rejection-of.js";
import { lessonFixture } from "./lesson-fixtures.js";
import { edgeCaseFixture, verdictFixture } from "./store-fixtures.js";

const FIXED_TIME = "2026-01-01T00:00:00.000Z";

export interface PendingLessonStoreConformanceParams {
  /** Shown in the suite's name, e.g. `ChromaPendingLessonStore`. */
  name: string;
  /** A fresh, empty store for each test, reading time from `clock`. */
  createStore: (clock: ManualClock) => Promise<PendingLessonStore>;
  /** The same parked lessons opened again, as a new process would. When given, the suite checks they persist. */
  reopen?: (store: PendingLessonStore) => Promise<PendingLessonStore>;
}

/** The behaviour every `PendingLessonStore` must have, as one vitest suite. */
export function describePendingLessonStoreConformance({ name, createStore: create, reopen }: PendingLessonStoreConformanceParams): void {
  describe(`PendingLessonStore conformance: ${name}`, () => {
    it("parks a lesson with its verdict and edge cases and reads it back as pending", async () => {
      const clock = createManualClock(FIXED_TIME);
      const store = await create(clock);
      const parked = await store.park({ lesson: lessonFixture("l-1"), verdict: verdictFixture("l-1"), edgeCases: [edgeCaseFixture("case-1")], note: "needs a human" });
      expect(parked).toMatchObject({ status: "pending", parkedAt: FIXED_TIME, note: "needs a human" });
      const read = await store.get("l-1");
      expect(read).toEqual(parked);
      expect(read.verdict?.votes[0]?.evidence[0]).toEqual({ caseId: "case-1", passedWithout: false, passedWith: true });
      expect(read.edgeCases.map((c) => c.id)).toEqual(["case-1"]);
      expect(read.decision).toBeUndefined();
    });

    it("lists oldest first, filtered by status and by scope", async () => {
      const clock = createManualClock(FIXED_TIME);
      const store = await create(clock);
      await store.park({ lesson: lessonFixture("b", { scope: { tenant: "acme", agent: "billing" } }) });
      clock.advance(1_000);
      await store.park({ lesson: lessonFixture("a", { scope: { tenant: "globex" } }) });
      clock.advance(1_000);
      await store.park({ lesson: lessonFixture("c", { scope: { tenant: "acme" } }) });
      await store.decide("c", { status: "rejected", by: "ana", reason: "too broad" });

      expect((await store.list()).map((r) => r.lesson.id)).toEqual(["b", "a", "c"]);
      expect((await store.list({ status: "pending" })).map((r) => r.lesson.id)).toEqual(["b", "a"]);
      expect((await store.list({ status: "rejected" })).map((r) => r.lesson.id)).toEqual(["c"]);
      expect((await store.list({ scope: { tenant: "acme" } })).map((r) => r.lesson.id)).toEqual(["b", "c"]);
      expect((await store.list({ scope: { tenant: "acme", agent: "billing" } })).map((r) => r.lesson.id)).toEqual(["b"]);
    });

    it("records a decision once; a second decision or re-parking a decided lesson is a conflict", async () => {
      const clock = createManualClock(FIXED_TIME);
      const store = await create(clock);
      await store.park({ lesson: lessonFixture("l-1") });
      clock.advance(5_000);
      const approved = await store.decide("l-1", { status: "approved", by: "ana", reason: "checked", mergedIn: 4 });
      expect(approved).toMatchObject({ status: "approved", decision: { by: "ana", reason: "checked", mergedIn: 4, at: "2026-01-01T00:00:05.000Z" } });
      expect(await store.get("l-1")).toEqual(approved);

      const again = await rejectionOf(store.decide("l-1", { status: "rejected", by: "bo", reason: "no" }));
      expect(LessonloopError.isInstance(again, "conflict")).toBe(true);
      expect((again as Error).message).toMatch(/already approved by ana/);
      const repark = await rejectionOf(store.park({ lesson: lessonFixture("l-1") }));
      expect(LessonloopError.isInstance(repark, "conflict")).toBe(true);
      expect((await store.get("l-1")).status).toBe("approved");
    });

    it("re-parking a pending lesson replaces it (a retried learning step is harmless)", async () => {
      const store = await create(createManualClock(FIXED_TIME));
      await store.park({ lesson: lessonFixture("l-1", { guidance: "first" }) });
      await store.park({ lesson: lessonFixture("l-1", { guidance: "second" }) });
      const all = await store.list();
      expect(all).toHaveLength(1);
      expect(all[0]?.lesson.guidance).toBe("second");
    });

    it("names what is wrong: unknown id, bad input, a verdict about another lesson", async () => {
      const store = await create(createManualClock(FIXED_TIME));
      const missing = await rejectionOf(store.get("nope"));
      expect(LessonloopError.isInstance(missing, "not_found")).toBe(true);
      expect((missing as Error).message).toMatch(/"nope"/);
      const decideMissing = await rejectionOf(store.decide("nope", { status: "rejected", by: "ana", reason: "x" }));
      expect(LessonloopError.isInstance(decideMissing, "not_found")).toBe(true);

      const mismatch = await rejectionOf(store.park({ lesson: lessonFixture("l-1"), verdict: verdictFixture("l-2") }));
      expect(LessonloopError.isInstance(mismatch, "invalid_input")).toBe(true);
      expect((mismatch as Error).message).toMatch(/verdict\.lessonId/);
      const badReason = await rejectionOf(async () => {
        await store.park({ lesson: lessonFixture("l-3") });
        await store.decide("l-3", { status: "rejected", by: "ana", reason: "  " });
      });
      expect(LessonloopError.isInstance(badReason, "invalid_input")).toBe(true);
      expect((badReason as Error).message).toMatch(/reason/);
      const mergedInOnReject = await rejectionOf(store.decide("l-3", { status: "rejected", by: "ana", reason: "x", mergedIn: 2 }));
      expect(LessonloopError.isInstance(mergedInOnReject, "invalid_input")).toBe(true);
      expect((await store.get("l-3")).status).toBe("pending");
      expect(await store.list({ status: "pending" })).toHaveLength(1);
    });

    it.skipIf(reopen === undefined)("keeps parked lessons across reopening", async () => {
      const store = await create(createManualClock(FIXED_TIME));
      await store.park({ lesson: lessonFixture("l-1"), verdict: verdictFixture("l-1") });
      const reopened = await (reopen as NonNullable<typeof reopen>)(store);
      expect((await reopened.get("l-1")).verdict?.tally).toEqual({ approve: 2, reject: 0, abstain: 1 });
    });
  });
}
