import { LessonloopError } from "@lessonloop/core";
import { rejectionOf } from "@lessonloop/core/testing";
import { describe, expect, it } from "vitest";
import { parseBenchOptions } from "./bench-options.js";

describe("parseBenchOptions", () => {
  it("defaults to every environment and strategy in sim mode", () => {
    expect(parseBenchOptions([])).toEqual({
      mode: "sim",
      seed: 1,
      episodes: 120,
      environments: ["api-drift", "user-preferences", "policy-shift", "poisoned-feedback"],
      strategies: ["static", "reflection", "unvalidated", "lessonloop", "oracle"],
      probes: 10,
      out: "results",
    });
  });

  it("reads lists and numbers, ignoring pnpm's `--`", () => {
    const options = parseBenchOptions(["--", "--env", "api-drift", "--strategies", "static, lessonloop", "--episodes", "40", "--seed", "7"]);
    expect(options).toMatchObject({ environments: ["api-drift"], strategies: ["static", "lessonloop"], episodes: 40, seed: 7 });
  });

  it("names the bad option in a typed error", async () => {
    for (const [argv, said] of [
      [["--episodes", "many"], "episodes"],
      [["--strategies", "static,magic"], "strategies"],
      [["--mode", "gpu"], "mode"],
      [["--colour"], "colour"],
    ] as const) {
      const error = await rejectionOf(async () => parseBenchOptions(argv));
      expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
      expect((error as Error).message).toContain(said);
    }
  });
});
