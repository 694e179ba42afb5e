// The CI-sized runs of the fault scenarios (`pnpm reliability` runs the full ones):
// real processes, real Chroma servers, real SIGKILLs.
import { describe, expect, it } from "vitest";
import { runChromaRestartScenario } from "./chroma-restart.js";
import { runSigkillScenario } from "./sigkill-commits.js";
import { runSingleOwnerScenario } from "./single-owner.js";
import { runWalCostScenario } from "./wal-cost.js";

describe("faults", () => {
  it("keeps answering while Chroma is killed, and loses no acknowledged episode across a restart and a killed agent", async () => {
    const report = await runChromaRestartScenario({ runs: 8, laterRuns: 2, pauseMs: 30 });
    expect(report.figures).toMatchObject({ episodesLost: 0, runFailures: 0, runsAnswered: 10, lessonsMerged: report.figures["lessonsExpected"] });
    expect(report.figures["runsWarnedNoLessons"]).toBeGreaterThan(0);
    expect(report.figures["episodesReplayedFromJournal"]).toBeGreaterThan(0);
    expect(report.passed).toBe(true);
  }, 240_000);

  it("leaves memory exactly at a written snapshot after every SIGKILL during commits and rollbacks", async () => {
    const report = await runSigkillScenario({ kills: 8, seed: 7 });
    expect(report.notes.slice(2)).toEqual([]);
    expect(report.figures).toMatchObject({ killsTried: 8, inconsistentStates: 0, acknowledgedWritesLost: 0 });
    expect(report.figures["killsInsideAWrite"]).toBeGreaterThan(0);
    expect(report.passed).toBe(true);
  }, 300_000);

  it("measures the journal's cost per episode and finds every acknowledged episode again", async () => {
    const report = await runWalCostScenario({ episodes: 200 });
    expect(report.figures).toMatchObject({ episodesRecovered: 200, episodesRecoveredAfterDone: 0 });
    expect(report.passed).toBe(true);
  }, 60_000);

  it("gives a journal and a Chroma data folder one owner: a second process is refused, none of 200 + 200 episodes is lost, a SIGKILLed owner is taken over", async () => {
    const report = await runSingleOwnerScenario({ rounds: 1, episodes: 200 });
    expect(report.figures).toMatchObject({ secondOpenersRefused: 1, refusalsNamingHolder: 1, episodesLost: 0, pendingAfterSigkill: 30, lostAfterSigkill: 0, secondServerRefused: 1 });
    expect(report.passed).toBe(true);
  }, 120_000);
});
