import { describe, expect, it } from "vitest";
import { LessonloopError } from "../errors.js";
import type { OutcomeLedger, OutcomeRecordInput } from "../outcome-ledger.js";
import { rejectionOf } from "../testing/rejection-of.js";

export interface OutcomeLedgerConformanceParams {
  /** Shown in the suite's name, e.g. `ChromaOutcomeLedger`. */
  name: string;
  /** A fresh, empty ledger for each test. */
  createLedger: () => Promise<OutcomeLedger>;
  /** The same ledger opened again, as a new process would. When given, the suite checks outcomes and looks persist. */
  reopen?: (ledger: OutcomeLedger) => Promise<OutcomeLedger>;
}

const at = "2026-01-01T00:00:00.000Z";
const acme = { tenant: "acme" };
const ana = { tenant: "acme", user: "ana" };
const globex = { tenant: "globex" };

function outcome(episodeId: string, fields: Partial<OutcomeRecordInput> = {}): OutcomeRecordInput {
  return { episodeId, scope: acme, memoryVersion: 1, servedLessons: [], status: "success", recordedAt: at, ...fields };
}

/** The behaviour every `OutcomeLedger` must have, as one vitest suite. */
export function describeOutcomeLedgerConformance({ name, createLedger, reopen }: OutcomeLedgerConformanceParams): void {
  describe(`OutcomeLedger conformance: ${name}`, () => {
    it("credits outcomes to the lessons served and to the memory version, within a scope", async () => {
      const ledger = await createLedger();
      await ledger.record(outcome("e1", { memoryVersion: 3, servedLessons: ["a", "b"] }));
      await ledger.record(outcome("e2", { scope: ana, memoryVersion: 3, servedLessons: ["a"], status: "failure" }));
      await ledger.record(outcome("e3", { memoryVersion: 4, servedLessons: ["a"], status: "unknown" }));

      const utility = await ledger.lessonUtility(["a", "b", "never"]);
      expect(utility.get("a")).toEqual({ lessonId: "a", served: 3, successes: 1, failures: 1 });
      expect(utility.get("b")).toEqual({ lessonId: "b", served: 1, successes: 1, failures: 0 });
      expect(utility.get("never")).toEqual({ lessonId: "never", served: 0, successes: 0, failures: 0 });
      expect(await ledger.versionOutcomes(3)).toEqual({ version: 3, successes: 1, failures: 1, unknown: 0 });
      expect(await ledger.versionOutcomes(3, ana)).toEqual({ version: 3, successes: 0, failures: 1, unknown: 0 });
      expect(await ledger.versionOutcomes(3, globex)).toEqual({ version: 3, successes: 0, failures: 0, unknown: 0 });
    });

    it("replaces an episode recorded twice instead of counting it twice", async () => {
      const ledger = await createLedger();
      await ledger.record(outcome("e1", { servedLessons: ["a"], status: "failure" }));
      await ledger.record(outcome("e1", { servedLessons: ["b"], status: "success" }));
      expect(await ledger.versionOutcomes(1)).toEqual({ version: 1, successes: 1, failures: 0, unknown: 0 });
      expect((await ledger.lessonUtility(["a"])).get("a")?.served).toBe(0);
      expect(await ledger.countOutcomes({ served: "b" })).toEqual({ successes: 1, failures: 0, unknown: 0 });
    });

    it("counts the runs a query asks for: served a lesson, served none of some, before a version, within a scope", async () => {
      const ledger = await createLedger();
      await ledger.record(outcome("old-1", { memoryVersion: 1 }));
      await ledger.record(outcome("old-2", { memoryVersion: 2, status: "failure" }));
      await ledger.record(outcome("old-globex", { scope: globex, memoryVersion: 2, status: "failure" }));
      await ledger.record(outcome("new-a", { memoryVersion: 3, servedLessons: ["a"], status: "failure" }));
      await ledger.record(outcome("new-ab", { scope: ana, memoryVersion: 5, servedLessons: ["a", "b"], status: "failure" }));
      await ledger.record(outcome("new-a-unknown", { memoryVersion: 5, servedLessons: ["a"], status: "unknown" }));
      await ledger.record(outcome("new-none", { memoryVersion: 5 }));

      expect(await ledger.countOutcomes({})).toEqual({ successes: 2, failures: 4, unknown: 1 });
      expect(await ledger.countOutcomes({ served: "a" })).toEqual({ successes: 0, failures: 2, unknown: 1 });
      expect(await ledger.countOutcomes({ served: "a", notServed: ["b"] })).toEqual({ successes: 0, failures: 1, unknown: 1 });
      expect(await ledger.countOutcomes({ notServed: ["a", "b"], scope: acme })).toEqual({ successes: 2, failures: 1, unknown: 0 });
      expect(await ledger.countOutcomes({ beforeVersion: 3, scope: acme })).toEqual({ successes: 1, failures: 1, unknown: 0 });
      expect(await ledger.countOutcomes({ beforeVersion: 3 })).toEqual({ successes: 1, failures: 2, unknown: 0 });
      expect(await ledger.countOutcomes({ served: "a", scope: ana })).toEqual({ successes: 0, failures: 1, unknown: 0 });
      expect(await ledger.countOutcomes({ served: "never" })).toEqual({ successes: 0, failures: 0, unknown: 0 });
    });

    it("keeps the last look taken at each key; keys never looked at are absent", async () => {
      const ledger = await createLedger();
      expect(await ledger.looks(["a"])).toEqual(new Map());
      await ledger.saveLook("a", 0);
      await ledger.saveLook("b", 2);
      await ledger.saveLook("a", 1);
      expect(await ledger.looks(["a", "b", "c"])).toEqual(new Map([["a", 1], ["b", 2]]));
      expect(await ledger.looks([])).toEqual(new Map());
    });

    it("rejects a malformed record or look with a typed error naming the field, and keeps nothing", async () => {
      const ledger = await createLedger();
      const error = await rejectionOf(ledger.record(outcome("e1", { memoryVersion: -2, status: "win" as "success" })));
      expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
      expect((error as Error).message).toMatch(/memoryVersion.*status|status.*memoryVersion/s);
      expect(await ledger.countOutcomes({})).toEqual({ successes: 0, failures: 0, unknown: 0 });
      expect(LessonloopError.isInstance(await rejectionOf(ledger.saveLook("a", -1)), "invalid_input")).toBe(true);
      expect(LessonloopError.isInstance(await rejectionOf(ledger.saveLook("has space", 0)), "invalid_input")).toBe(true);
      expect(await ledger.looks(["a"])).toEqual(new Map());
    });

    it("counts a few hundred outcomes over many lessons", async () => {
      const ledger = await createLedger();
      for (let index = 0; index < 300; index++) {
        await ledger.record(outcome(`e${index}`, { memoryVersion: index % 7, servedLessons: [`l${index % 30}`], status: index % 3 === 0 ? "failure" : "success" }));
      }
      const counts = await ledger.countOutcomes({ served: "l0" });
      expect(counts).toEqual({ successes: 0, failures: 10, unknown: 0 });
      expect((await ledger.lessonUtility(["l29"])).get("l29")).toMatchObject({ served: 10, successes: 10 });
    }, 60_000);

    it.skipIf(reopen === undefined)("keeps outcomes and looks across reopening", async () => {
      const ledger = await createLedger();
      await ledger.record(outcome("e1", { memoryVersion: 2, servedLessons: ["a"], status: "failure" }));
      await ledger.record(outcome("e2", { memoryVersion: 2, servedLessons: ["a"] }));
      await ledger.saveLook("a", 1);
      const reopened = await (reopen as NonNullable<typeof reopen>)(ledger);
      expect(await reopened.countOutcomes({ served: "a" })).toEqual({ successes: 1, failures: 1, unknown: 0 });
      expect(await reopened.versionOutcomes(2)).toEqual({ version: 2, successes: 1, failures: 1, unknown: 0 });
      expect(await reopened.looks(["a"])).toEqual(new Map([["a", 1]]));
      // Recording again after the reopen still replaces the episode.
      await reopened.record(outcome("e1", { memoryVersion: 2, servedLessons: ["a"] }));
      expect(await reopened.countOutcomes({ served: "a" })).toEqual({ successes: 2, failures: 0, unknown: 0 });
    });
  });
}
