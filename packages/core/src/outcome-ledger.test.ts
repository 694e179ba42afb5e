import { describe, expect, it } from "vitest";
import { LessonloopError } from "./errors.js";
import { InMemoryOutcomeLedger } from "./outcome-ledger.js";

const at = "2026-01-01T00:00:00.000Z";
const acme = { tenant: "acme" };

describe("InMemoryOutcomeLedger", () => {
  it("credits outcomes to the lessons served and to the memory version", async () => {
    const ledger = new InMemoryOutcomeLedger();
    await ledger.record({ episodeId: "e1", scope: acme, memoryVersion: 3, servedLessons: ["a", "b"], status: "success", recordedAt: at });
    await ledger.record({ episodeId: "e2", scope: { tenant: "acme", user: "ana" }, memoryVersion: 3, servedLessons: ["a"], status: "failure", recordedAt: at });
    await ledger.record({ episodeId: "e3", scope: acme, memoryVersion: 4, servedLessons: ["a"], status: "unknown", recordedAt: at });

    const utility = await ledger.lessonUtility(["a", "b", "never"]);
    expect(utility.get("a")).toEqual({ lessonId: "a", served: 3, successes: 1, failures: 1 });
    expect(utility.get("b")).toEqual({ lessonId: "b", served: 1, successes: 1, failures: 0 });
    expect(utility.get("never")).toEqual({ lessonId: "never", served: 0, successes: 0, failures: 0 });
    expect(await ledger.versionOutcomes(3)).toEqual({ version: 3, successes: 1, failures: 1, unknown: 0 });
    expect(await ledger.versionOutcomes(3, { tenant: "acme", user: "ana" })).toEqual({ version: 3, successes: 0, failures: 1, unknown: 0 });
    expect(await ledger.versionOutcomes(3, { tenant: "globex" })).toEqual({ version: 3, successes: 0, failures: 0, unknown: 0 });
  });

  it("replaces an episode recorded twice instead of counting it twice", async () => {
    const ledger = new InMemoryOutcomeLedger();
    await ledger.record({ episodeId: "e1", scope: acme, memoryVersion: 1, status: "failure", recordedAt: at });
    await ledger.record({ episodeId: "e1", scope: acme, memoryVersion: 1, status: "success", recordedAt: at });
    expect(await ledger.versionOutcomes(1)).toEqual({ version: 1, successes: 1, failures: 0, unknown: 0 });
  });

  it("rejects a malformed record with a typed error", async () => {
    const ledger = new InMemoryOutcomeLedger();
    const error = await ledger.record({ episodeId: "e1", scope: acme, memoryVersion: -2, status: "win" as "success", recordedAt: at }).catch((caught: unknown) => caught);
    expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
    expect((error as Error).message).toMatch(/memoryVersion.*status|status.*memoryVersion/s);
    expect(await ledger.versionOutcomes(-2)).toEqual({ version: -2, successes: 0, failures: 0, unknown: 0 });
  });
});
