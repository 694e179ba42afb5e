import { LessonloopError } from "@lessonloop/core";
import { describe, expect, it } from "vitest";
import { createFixtureResults } from "../tests/fixtures/results.js";
import { combineSeedRuns, compactEpisodes, summaryOfResults } from "./combine-seeds.js";
import { summarize } from "./metrics.js";
import { BenchSummarySchema, MultiSeedResultsSchema } from "./multi-seed-results.js";
import type { BenchmarkResults, EpisodeRecord, LessonEvent, StrategyName, StrategyResult } from "./results.js";

const DRIFTS = [{ at: 4, change: "amounts in cents", kinds: ["invoice"] }];

/** A stream from a pass/fail string, every episode one agent call of 10 tokens plus `learningCalls` learning calls. */
function episodes(pattern: string, learningCalls = 0): EpisodeRecord[] {
  return [...pattern].map((char, index) => ({
    index,
    taskId: `t#${index}`,
    kind: "invoice",
    passed: char === "1",
    reason: "",
    agent: { calls: 1, promptTokens: 8, completionTokens: 2 },
    learning: { calls: learningCalls, promptTokens: 0, completionTokens: 0 },
    contextTokens: 0,
    memorySize: index < 5 ? 0 : 1,
    memoryVersion: 0,
  }));
}

function strategy(
  name: StrategyName,
  pattern: string,
  { learningCalls = 0, lessons = [] as LessonEvent[], rollbacks = 0, recall = undefined as EpisodeRecord["recall"] } = {},
): StrategyResult {
  // Served recall measured on the last episode only, where a strategy retrieves lessons.
  const list = episodes(pattern, learningCalls).map((episode, index) => (recall !== undefined && index === 9 ? { ...episode, recall, contextTokens: 50 } : episode));
  const rollbackEvents = Array.from({ length: rollbacks }, (_, at) => ({ at, fromVersion: 2, toVersion: 1, reason: "dropped" }));
  return {
    strategy: name,
    episodes: list,
    lessons,
    rollbacks: rollbackEvents,
    regressions: [],
    summary: summarize({ episodes: list, lessons, rollbacks: rollbackEvents, drifts: DRIFTS, wallMs: 10 }),
  };
}

const wrongLesson: LessonEvent = { at: 5, lessonId: "l1", text: "send grams", scope: "acme", grade: "incorrect", outcome: "merged" };

/** One seed: `static`, `unvalidated` and `lessonloop` on a 10-episode stream with a drift at 4. */
function seedRun(seed: number, patterns: [string, string, string], more: Partial<BenchmarkResults> = {}): BenchmarkResults {
  const [fixed, unvalidated, lessonloop] = patterns;
  return {
    schemaVersion: 1,
    mode: "sim",
    seed,
    episodes: 10,
    parameters: { seed, "learner.falseLessonRate": 0.08 },
    startedAt: "2026-01-01T00:00:00.000Z",
    wallMs: 100,
    machine: { cpus: 2, node: "v20", platform: "linux-x64" },
    environments: [
      {
        name: "hand-made",
        description: "d",
        drifts: DRIFTS,
        strategies: [
          strategy("static", fixed),
          strategy("unvalidated", unvalidated, { learningCalls: 1, lessons: seed === 2 ? [wrongLesson] : [], recall: { applicable: 0, served: 0 } }),
          strategy("lessonloop", lessonloop, { learningCalls: seed, rollbacks: seed === 3 ? 1 : 0, recall: { applicable: seed, served: seed === 1 ? 0 : seed } }),
        ],
      },
    ],
    ...more,
  };
}

// Successes — static 0.2 on every seed; unvalidated 0.4, 0.6, 0.6; lessonloop 0.5, 0.6, 0.7.
const runs = [
  seedRun(1, ["1100000000", "1111000000", "1111100000"]),
  seedRun(2, ["0000000011", "1111110000", "1111110000"]),
  seedRun(3, ["1000000001", "0000111111", "1111111000"]),
];
const combined = combineSeedRuns({ runs, startedAt: "2026-01-02T00:00:00.000Z", wallMs: 250, jobs: 2 });

describe("combineSeedRuns", () => {
  const [environment] = combined.environments;
  const byName = (name: StrategyName) => environment?.strategies.find((entry) => entry.strategy === name);

  it("keeps the seeds, marks the file generated and drops only the seed from the parameters", () => {
    expect(combined.seeds).toEqual([1, 2, 3]);
    expect(combined.generated).toBe("by pnpm bench — do not edit");
    expect(combined.parameters).toEqual({ "learner.falseLessonRate": 0.08 });
    expect(MultiSeedResultsSchema.parse(combined)).toEqual(combined);
  });

  it("gives the mean success over seeds with its t interval (df 2)", () => {
    // lessonloop 0.5, 0.6, 0.7: mean 0.6 ± 4.302653 · 0.1/√3 = ± 0.248414.
    const success = byName("lessonloop")?.aggregate.success;
    expect(success?.mean).toBeCloseTo(0.6, 12);
    expect(success?.df).toBe(2);
    expect(success?.ci95[0]).toBeCloseTo(0.351586, 5);
    expect(success?.ci95[1]).toBeCloseTo(0.848414, 5);
    // static never varies: a zero-width interval.
    expect(byName("static")?.aggregate.success).toMatchObject({ mean: 0.2, ci95: [0.2, 0.2] });
  });

  it("averages costs over seeds and sums counts, keeping each seed's own", () => {
    // lessonloop: 1 agent call + seed learning calls per episode → 2, 3, 4 → mean 3.
    expect(byName("lessonloop")?.aggregate.callsPerEpisode).toBeCloseTo(3, 12);
    expect(byName("lessonloop")?.aggregate.tokensPerEpisode).toBe(10);
    expect(byName("lessonloop")?.aggregate.rollbacks).toBe(1);
    expect(byName("unvalidated")?.aggregate).toMatchObject({ merged: 1, wrongMerged: 1 });
    expect(byName("unvalidated")?.seeds.map((run) => run.summary.badLessonsMerged)).toEqual([0, 1, 0]);
    expect(byName("lessonloop")?.seeds.map((run) => run.summary.rollbacks)).toEqual([0, 0, 1]);
  });

  it("pools served recall over seeds: applicable lessons served / applicable, null when none applied, absent where not retrieved", () => {
    // lessonloop: 0 of 1, 2 of 2, 3 of 3 → 5 of 6.
    expect(byName("lessonloop")?.aggregate.servedRecall).toBeCloseTo(5 / 6, 12);
    expect(byName("unvalidated")?.aggregate.servedRecall).toBeNull();
    expect(byName("static")?.aggregate).not.toHaveProperty("servedRecall");
  });

  it("pools adaptation latency over seeds, never-recovered apart", () => {
    // From the drift at 4, lessonloop passes 100000 (never), 110000 (never), 111000 (at 0).
    expect(byName("lessonloop")?.aggregate.adaptationLatency).toEqual({ median: 0, recovered: 1, neverRecovered: 2, tooFewToTell: 0 });
    // unvalidated: 000000 (never), 110000 (never), 111111 (at 0).
    expect(byName("unvalidated")?.aggregate.adaptationLatency).toEqual({ median: 0, recovered: 1, neverRecovered: 2, tooFewToTell: 0 });
  });

  it("pairs lessonloop with unvalidated and with static per seed", () => {
    const versus = (baseline: StrategyName) => environment?.paired.find((pair) => pair.baseline === baseline);
    // Differences 0.1, 0, 0.1: mean 0.0667, won 2, tied 1.
    const unvalidated = versus("unvalidated");
    expect(unvalidated?.mean).toBeCloseTo(0.2 / 3, 12);
    expect([unvalidated?.seedsWon, unvalidated?.seedsLost, unvalidated?.ties]).toEqual([2, 0, 1]);
    // Differences 0.3, 0.4, 0.5: mean 0.4 ± 0.248414.
    const fixed = versus("static");
    expect(fixed?.mean).toBeCloseTo(0.4, 12);
    expect(fixed?.ci95[0]).toBeCloseTo(0.151586, 5);
    expect(fixed?.ci95[1]).toBeCloseTo(0.648414, 5);
    expect(fixed?.seedsWon).toBe(3);
  });

  it("leaves out a comparison whose strategies did not both run", () => {
    const withoutStatic = runs.map((run) => ({
      ...run,
      environments: run.environments.map((env) => ({ ...env, strategies: env.strategies.filter((entry) => entry.strategy !== "static") })),
    }));
    const result = combineSeedRuns({ runs: withoutStatic, startedAt: "x", wallMs: 1, jobs: 1 });
    expect(result.environments[0]?.paired.map((pair) => pair.baseline)).toEqual(["unvalidated"]);
  });

  it("refuses seeds that ran different benchmarks", () => {
    for (const odd of [
      seedRun(4, ["1", "1", "1"], { episodes: 11 }),
      seedRun(4, ["1100000000", "1100000000", "1100000000"], { parameters: { seed: 4, "learner.falseLessonRate": 0.5 } }),
    ]) {
      const error = (() => {
        try {
          combineSeedRuns({ runs: [...runs, odd], startedAt: "x", wallMs: 1, jobs: 1 });
        } catch (caught) {
          return caught;
        }
      })();
      expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
      expect((error as Error).message).toContain("Seed 4");
    }
  });

  it("stays under 5 MB for 10 seeds × 4 environments × 5 strategies × 120 episodes", () => {
    const fixture = combineSeedRuns({
      runs: Array.from({ length: 10 }, (_, at) => createFixtureResults({ seed: at + 1, episodes: 120 })),
      startedAt: "x",
      wallMs: 1,
      jobs: 2,
    });
    expect(JSON.stringify(fixture).length).toBeLessThan(5_000_000);
  });
});

describe("compactEpisodes", () => {
  it("lists the stream's figures in order, whatever order the records came in", () => {
    const list = episodes("101");
    list[1] = { ...(list[1] as EpisodeRecord), learning: { calls: 3, promptTokens: 40, completionTokens: 5 }, memorySize: 2 };
    expect(compactEpisodes([...list].reverse())).toEqual({ passed: "101", calls: [1, 4, 1], tokens: [10, 55, 10], memorySize: [0, 2, 0] });
  });

  it("refuses a stream with a missing episode", () => {
    const list = episodes("1011").filter((episode) => episode.index !== 2);
    expect(() => compactEpisodes(list)).toThrow(/Episode 2/);
  });
});

describe("summaryOfResults", () => {
  it("has exactly the summary.json shape: fractions, counts summed, the two paired comparisons", () => {
    const summary = summaryOfResults(combined);
    expect(BenchSummarySchema.parse(summary)).toEqual(summary);
    expect(Object.keys(summary)).toEqual(["schemaVersion", "mode", "seeds", "worlds"]);
    const world = summary.worlds["hand-made"];
    expect(Object.keys(world?.strategies ?? {})).toEqual(["static", "unvalidated", "lessonloop"]);
    expect(Object.keys(world?.strategies["lessonloop"] ?? {})).toEqual([
      "successMean",
      "successCi95",
      "callsPerEpisode",
      "tokensPerEpisode",
      "servedRecall",
      "lessonTokensPerStep",
      "merged",
      "wrongMerged",
      "regressions",
      "rollbacks",
    ]);
    expect(world?.strategies["lessonloop"]).toMatchObject({ servedRecall: expect.closeTo(5 / 6, 12), lessonTokensPerStep: 5 });
    expect(world?.strategies["static"]).not.toHaveProperty("servedRecall");
    expect(world?.strategies["unvalidated"]).toMatchObject({ successMean: expect.closeTo(16 / 30, 12), merged: 1, wrongMerged: 1 });
    expect(Object.keys(world?.paired ?? {})).toEqual(["lessonloop-unvalidated", "lessonloop-static"]);
    expect(world?.paired["lessonloop-static"]).toMatchObject({ mean: expect.closeTo(0.4, 12), seedsWon: 3 });
  });
});
