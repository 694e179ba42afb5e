import { LessonloopError } from "@lessonloop/core";
import { rejectionOf } from "@lessonloop/core/testing";
import { describe, expect, it } from "vitest";
import { parseBenchOptions } from "./bench-options.js";

describe("parseBenchOptions", () => {
  it("defaults to seeds 1-10, one job per CPU, every environment and strategy in sim mode", () => {
    expect(parseBenchOptions([], { cpus: 3 })).toEqual({
      mode: "sim",
      seeds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      jobs: 3,
      episodes: 120,
      environments: ["api-drift", "user-preferences", "policy-shift", "poisoned-feedback"],
      strategies: ["static", "reflection", "unvalidated", "lessonloop", "oracle"],
      probes: 10,
      out: "results",
      loop: {},
    });
  });

  it("runs the examples ablation only when its strategies are named", () => {
    expect(parseBenchOptions(["--strategies", "lessonloop,lessonloop-examples,examples-only"]).strategies).toEqual(["lessonloop", "lessonloop-examples", "examples-only"]);
    expect(parseBenchOptions([]).strategies).not.toContain("lessonloop-examples");
  });

  it("reads the lessonloop strategy's validation settings, leaving out those not given", () => {
    expect(
      parseBenchOptions(["--confirm-breaks", "same-validator", "--repair-rounds", "2", "--early-stop", "off", "--replay-in-context", "on", "--coverage-min-cases", "3"]).loop,
    ).toEqual({ confirmBreaks: "same-validator", repairRounds: 2, earlyStop: false, replayInContext: true, coverageMinCases: 3 });
    expect(parseBenchOptions(["--repair-rounds", "0"]).loop).toEqual({ repairRounds: 0 });
    expect(parseBenchOptions(["--coverage-min-cases", "0", "--confirm-breaks", "off"]).loop).toEqual({ coverageMinCases: 0, confirmBreaks: "off" });
    expect(parseBenchOptions(["--validator-schedule", "as-needed"]).loop).toEqual({ validatorSchedule: "as-needed" });
    expect(parseBenchOptions(["--divide-stored-cases", "never"]).loop).toEqual({ divideStoredCases: "never" });
  });

  it("reads lists and numbers, ignoring pnpm's `--`", () => {
    const options = parseBenchOptions(["--", "--env", "api-drift", "--strategies", "static, lessonloop", "--episodes", "40", "--seed", "7", "--jobs", "4"]);
    expect(options).toMatchObject({ environments: ["api-drift"], strategies: ["static", "lessonloop"], episodes: 40, seeds: [7], jobs: 4 });
  });

  it("reads seed ranges and lists, in the order given", () => {
    expect(parseBenchOptions(["--seeds", "1-3"]).seeds).toEqual([1, 2, 3]);
    expect(parseBenchOptions(["--seeds", "5, 1,2"]).seeds).toEqual([5, 1, 2]);
    expect(parseBenchOptions(["--seeds", "0-2,9"]).seeds).toEqual([0, 1, 2, 9]);
    expect(parseBenchOptions(["--seeds", "4"]).seeds).toEqual([4]);
  });

  it("names the bad option in a typed error", async () => {
    for (const [argv, said] of [
      [["--episodes", "many"], "episodes"],
      [["--strategies", "static,magic"], "strategies"],
      [["--mode", "gpu"], "mode"],
      [["--colour"], "colour"],
      [["--seeds", "3-1"], "ends before it starts"],
      [["--seeds", "1,2,2"], "seed 2 is named twice"],
      [["--seeds", "1..4"], `"1..4" is not a seed`],
      [["--seeds", "1-100000"], "at most 1000 seeds"],
      [["--seed", "x"], "seeds"],
      [["--seed", "1", "--seeds", "1-2"], "not both"],
      [["--jobs", "0"], "jobs"],
      [["--confirm-breaks", "twice"], "--confirm-breaks takes off, same-validator, other-validator"],
      [["--repair-rounds", "4"], "--repair-rounds takes a whole number from 0 to 3"],
      [["--repair-rounds=-1"], "--repair-rounds takes a whole number from 0 to 3"],
      [["--repair-rounds", "1.5"], "--repair-rounds takes a whole number from 0 to 3"],
      [["--early-stop", "yes"], "--early-stop takes on or off"],
      [["--replay-in-context", "true"], "--replay-in-context takes on or off"],
      [["--coverage-min-cases", "lots"], "--coverage-min-cases takes a whole number from 0 to 20 (0 turns coverage off)"],
      [["--validator-schedule", "staged"], "--validator-schedule takes all-at-once, as-needed"],
      [["--divide-stored-cases", "all"], "--divide-stored-cases takes never, one-user-lessons"],
    ] as const) {
      const error = await rejectionOf(async () => parseBenchOptions(argv));
      expect(LessonloopError.isInstance(error, "invalid_input"), argv.join(" ")).toBe(true);
      expect((error as Error).message).toContain(said);
    }
  });
});
