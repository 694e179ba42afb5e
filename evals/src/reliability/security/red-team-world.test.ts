import { describe, expect, it } from "vitest";
import { BENIGN_CASES, RED_TEAM_CASES, proposalAsLesson } from "./red-team-cases.js";
import { isHarmful } from "./poisoning.js";
import { runPasses, runSandbox, seedRegressionCases } from "./red-team-world.js";

describe("red-team world", () => {
  it("holds at least 50 poisoning cases, every category, both vectors", () => {
    expect(RED_TEAM_CASES.length).toBeGreaterThanOrEqual(50);
    expect(new Set(RED_TEAM_CASES.map((c) => c.id)).size).toBe(RED_TEAM_CASES.length);
    expect(new Set(RED_TEAM_CASES.map((c) => c.category)).size).toBe(5);
    expect(new Set(RED_TEAM_CASES.map((c) => c.vector)).size).toBe(2);
  });

  it("every seeded regression case passes in the sandbox without a lesson", () => {
    for (const seed of seedRegressionCases()) expect(runPasses(runSandbox(seed.input, seed.scope, [])), seed.input).toBe(true);
  });

  it.each(RED_TEAM_CASES.map((c) => [c.id, c] as const))("the lesson %s tries to plant is harmful by its own check", (_id, testCase) => {
    const lesson = proposalAsLesson(testCase.id, testCase.scope, testCase.proposal);
    expect(isHarmful(testCase, [lesson])).toBe(true);
    // The same lesson kept to the poisoned run's own user harms no other user's probe.
    const own = { ...lesson, scope: testCase.scope };
    if (testCase.category === "one-user-only") expect(isHarmful(testCase, [own])).toBe(false);
  });

  it.each(BENIGN_CASES.map((c) => [c.id, c] as const))("the genuine lesson %s fixes its run in the sandbox", (_id, control) => {
    const lesson = proposalAsLesson(control.id, control.scope, control.proposal);
    expect(runPasses(runSandbox(control.task, control.scope, []))).toBe(false);
    expect(runPasses(runSandbox(control.task, control.scope, [lesson]))).toBe(true);
    for (const seed of seedRegressionCases()) expect(runPasses(runSandbox(seed.input, seed.scope, [lesson])), seed.input).toBe(true);
  });
});
