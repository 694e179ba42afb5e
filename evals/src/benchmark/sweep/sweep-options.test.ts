import { LessonloopError } from "@lessonloop/core";
import { rejectionOf } from "@lessonloop/core/testing";
import { describe, expect, it } from "vitest";
import { parseSweepOptions } from "./sweep-options.js";

describe("parseSweepOptions", () => {
  it("defaults to the 3 × 2 grid, seeds 1-3 and one job per CPU", () => {
    expect(parseSweepOptions([], { cpus: 2 })).toEqual({
      seeds: [1, 2, 3],
      jobs: 2,
      episodes: 120,
      environments: ["api-drift", "user-preferences", "policy-shift", "poisoned-feedback"],
      scales: [0, 1, 4],
      misreads: [0, 0.1],
      probes: 0,
      out: "results",
    });
  });

  it("reads a smaller grid", () => {
    expect(parseSweepOptions(["--", "--scales", "0, 4", "--misreads", "0.1", "--seeds", "5", "--env", "policy-shift"])).toMatchObject({
      scales: [0, 4],
      misreads: [0.1],
      seeds: [5],
      environments: ["policy-shift"],
    });
  });

  it("names the bad option in a typed error", async () => {
    for (const [argv, said] of [
      [["--misreads", "0,1.5"], "misreads"],
      [["--scales=-1"], "each at least 0"],
      [["--scales", "1,1"], "each value once"],
      [["--scales", "x"], "scales"],
      [["--seeds", "3-1"], "ends before it starts"],
      [["--strategies", "static"], "strategies"],
    ] as const) {
      const error = await rejectionOf(async () => parseSweepOptions(argv));
      expect(LessonloopError.isInstance(error, "invalid_input"), argv.join(" ")).toBe(true);
      expect((error as Error).message).toContain(said);
    }
  });
});
