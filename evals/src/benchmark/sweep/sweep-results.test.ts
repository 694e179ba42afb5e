import { LessonloopError } from "@lessonloop/core";
import { describe, expect, it } from "vitest";
import { FIXTURE_GRID, createFixtureSweep, fixtureSweepRuns } from "./fixture-sweep.js";
import { sweepJobs } from "./sweep-grid.js";
import { SweepResultsSchema, combineSweep } from "./sweep-results.js";

const grid = FIXTURE_GRID;
const jobs = sweepJobs(grid);
const runs = fixtureSweepRuns(jobs);
const results = createFixtureSweep();

describe("combineSweep", () => {
  it("puts one point per learner scale and misread rate, validated", () => {
    expect(SweepResultsSchema.parse(results)).toEqual(results);
    expect(results.points.map((point) => [point.learnerErrorScale, point.validatorMisreadRate])).toEqual([
      [1, 0],
      [1, 0.1],
    ]);
    expect(results.points[1]?.validatorErrorRates).toEqual([0.1, 0.1, 0.1]);
  });

  it("pairs lessonloop with unvalidated per seed and environment", () => {
    const [clean, misreading] = results.points;
    const a = clean?.environments.find((entry) => entry.name === "a");
    // Differences 0.1, 0.2, 0.3: mean 0.2, sd 0.1, t(2) · 0.1/√3 = 0.248414.
    expect(a?.paired.mean).toBeCloseTo(0.2, 12);
    expect(a?.paired.ci95[0]).toBeCloseTo(-0.048414, 5);
    expect(a?.paired.seedsWon).toBe(3);
    expect(a?.lessonloop.successPerSeed).toEqual([0.8, 0.9, 1]);
    // Fewer passes with misreading validators on b: lost on every seed.
    const b = misreading?.environments.find((entry) => entry.name === "b");
    expect(b?.paired).toMatchObject({ seedsWon: 0, seedsLost: 3, ties: 0 });
    expect(b?.paired.mean).toBeCloseTo(-0.1, 12);
  });

  it("takes the overall cell per seed as the mean over environments, and reuses unvalidated's runs along the misread axis", () => {
    const [clean, misreading] = results.points;
    // Seed 1 at misread 0: lessonloop (0.8 + 0.6) / 2 = 0.7 against unvalidated (0.7 + 0.6) / 2 = 0.65.
    expect(clean?.overall.paired.differences[0]).toBeCloseTo(0.05, 12);
    expect(clean?.overall.lessonloop.callsPerEpisode).toBe(8);
    expect(misreading?.overall.lessonloop.callsPerEpisode).toBe(6);
    expect(misreading?.overall.unvalidated).toEqual(clean?.overall.unvalidated);
  });

  it("names a run the grid needs and does not have", () => {
    const error = (() => {
      try {
        combineSweep({ ...grid, jobs: jobs.slice(1), runs: runs.slice(1), defaultLearnerRates: results.defaultLearnerRates, startedAt: "x", wallMs: 1, concurrency: 1 });
      } catch (caught) {
        return caught;
      }
    })();
    expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
    expect((error as Error).message).toContain("no lessonloop run of a for seed 1 at learner scale 1, misread 0");
  });
});
