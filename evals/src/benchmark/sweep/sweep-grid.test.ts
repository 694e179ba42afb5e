import { describe, expect, it } from "vitest";
import { learnerRatesAt, sweepJobs } from "./sweep-grid.js";

const defaults = { falseLessonRate: 0.08, overGeneralRate: 0.1, credulityInjection: 0.3, credulityFeedback: 0.35 };

describe("learnerRatesAt", () => {
  it("multiplies every error rate by the scale, capping each at 1", () => {
    expect(learnerRatesAt(0, defaults)).toEqual({ falseLessonRate: 0, overGeneralRate: 0, credulityInjection: 0, credulityFeedback: 0 });
    expect(learnerRatesAt(2, defaults)).toEqual({ falseLessonRate: 0.16, overGeneralRate: 0.2, credulityInjection: 0.6, credulityFeedback: 0.7 });
    // 4 × 0.3 and 4 × 0.35 pass 1.
    expect(learnerRatesAt(4, defaults)).toEqual({ falseLessonRate: 0.32, overGeneralRate: 0.4, credulityInjection: 1, credulityFeedback: 1 });
  });

  it("refuses a negative or infinite scale", () => {
    expect(() => learnerRatesAt(-1, defaults)).toThrow(RangeError);
    expect(() => learnerRatesAt(Number.POSITIVE_INFINITY, defaults)).toThrow(RangeError);
  });
});

describe("sweepJobs", () => {
  const jobs = sweepJobs({ scales: [0, 1], misreads: [0, 0.1, 0.2], seeds: [1, 2], environments: ["policy-shift"], episodes: 50, probes: 0 });

  it("runs lessonloop at every grid point and seed, first, and unvalidated once per scale and seed", () => {
    const lessonloop = jobs.filter((job) => job.strategies[0] === "lessonloop");
    const unvalidated = jobs.filter((job) => job.strategies[0] === "unvalidated");
    expect(lessonloop).toHaveLength(2 * 3 * 2);
    expect(unvalidated).toHaveLength(2 * 2);
    expect(jobs.slice(0, lessonloop.length).every((job) => job.strategies[0] === "lessonloop")).toBe(true);
    expect(unvalidated.every((job) => job.validatorMisreadRate === null && job.simRates?.validatorErrorRates === undefined)).toBe(true);
    expect(new Set(lessonloop.map((job) => `${job.learnerErrorScale}|${job.validatorMisreadRate}|${job.seed}`)).size).toBe(12);
  });

  it("gives every validator the point's misread rate and the learner the scaled rates", () => {
    const job = jobs.find((candidate) => candidate.strategies[0] === "lessonloop" && candidate.learnerErrorScale === 1 && candidate.validatorMisreadRate === 0.2);
    expect(job?.simRates?.validatorErrorRates).toEqual([0.2, 0.2, 0.2]);
    expect(job?.simRates).toMatchObject(learnerRatesAt(1));
    expect(job).toMatchObject({ mode: "sim", environments: ["policy-shift"], episodes: 50, probes: 0 });
  });
});
