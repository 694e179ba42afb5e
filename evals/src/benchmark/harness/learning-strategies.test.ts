import { describe, expect, it } from "vitest";
import { loopValidationParams } from "./learning-strategies.js";
import { loopSettingsParameters } from "./seed-run-protocol.js";

describe("loopValidationParams", () => {
  it("passes no validation setting that was not given, and replays in context with the agent's lesson budget", () => {
    expect(loopValidationParams({}, 600)).toEqual({ replayInContext: { budget: 600 } });
  });

  it("passes each setting given; 0 cases turns coverage off, replay in context off is false", () => {
    expect(
      loopValidationParams(
        { confirmBreaks: "same-validator", repairRounds: 0, earlyStop: false, replayInContext: false, coverageMinCases: 0, validatorSchedule: "as-needed", divideStoredCases: "never" },
        600,
      ),
    ).toEqual({ confirmBreaks: "same-validator", repairRounds: 0, earlyStop: false, replayInContext: false, coverage: false, validatorSchedule: "as-needed", divideStoredCases: "never" });
    expect(loopValidationParams({ replayInContext: true, coverageMinCases: 3 }, 400)).toEqual({ replayInContext: { budget: 400 }, coverage: { minCases: 3 } });
  });
});

describe("loopSettingsParameters", () => {
  it("names each setting given under lessonloop., in a fixed order, and nothing else", () => {
    expect(loopSettingsParameters({})).toEqual({});
    expect(Object.entries(loopSettingsParameters({ coverageMinCases: 0, confirmBreaks: "off", repairRounds: 2 }))).toEqual([
      ["lessonloop.confirmBreaks", "off"],
      ["lessonloop.repairRounds", 2],
      ["lessonloop.coverageMinCases", 0],
    ]);
  });
});
