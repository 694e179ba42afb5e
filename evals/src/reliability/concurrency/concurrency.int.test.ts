// The CI-sized run of the concurrency scenario (`pnpm reliability` runs the full one).
import { describe, expect, it } from "vitest";
import { runConcurrentCommitsScenario } from "./concurrent-commits.js";

describe("concurrency", () => {
  it("loses no update and merges every lesson exactly once when two processes commit at the same time", async () => {
    const report = await runConcurrentCommitsScenario({ writers: 2, commitsPerWriter: 30, sharedEvery: 5, baseline: false });
    expect(report.notes.slice(2)).toEqual([]);
    expect(report.figures).toMatchObject({ commitsAcknowledged: 60, commitErrors: 0, lostUpdates: 0, duplicates: 0, lessonsPresent: 54, historyVersions: 54 });
    expect(report.passed).toBe(true);
  }, 300_000);
});
