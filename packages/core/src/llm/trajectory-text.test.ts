import type { TrajectoryStep } from "../episode.js";
import { describe, expect, it } from "vitest";
import { markUntrusted, renderTrajectory } from "./trajectory-text.js";

describe("renderTrajectory", () => {
  it("numbers the steps as in the trajectory and marks every tool output untrusted", () => {
    const steps: TrajectoryStep[] = [
      { type: "message", role: "user", content: "Weather in Oslo?" },
      { type: "tool_call", id: "c1", name: "get_weather", args: { city: "Oslo" } },
      { type: "tool_result", callId: "c1", name: "get_weather", content: "Snow, -3°C", isError: false },
      { type: "message", role: "tool", content: "raw tool text" },
    ];
    expect(renderTrajectory(steps)).toBe(
      [
        "[0] user: Weather in Oslo?",
        '[1] tool call get_weather (id c1) with {"city":"Oslo"}',
        '[2] tool result of get_weather (id c1): <tool_output untrusted="true">Snow, -3°C</tool_output>',
        '[3] tool message: <tool_output untrusted="true">raw tool text</tool_output>',
      ].join("\n"),
    );
    expect(renderTrajectory([])).toBe("(no steps)");
  });

  it("keeps the first and last steps of a long trajectory, clips long texts, and says what it left out", () => {
    const steps: TrajectoryStep[] = Array.from({ length: 100 }, (_, index) => ({ type: "message", role: "assistant", content: `step ${index} ${"x".repeat(80)}` }));
    steps[50] = { type: "message", role: "user", content: "y".repeat(5_000) };
    const text = renderTrajectory(steps, { maxChars: 2_000, maxStepChars: 50 });

    expect(text.length).toBeLessThanOrEqual(2_100);
    expect(text.startsWith("[0] assistant: step 0 ")).toBe(true);
    expect(text).toMatch(/\[99\] assistant: step 99 x+…$/);
    const omitted = Number(/… (\d+) steps left out …/.exec(text)?.[1]);
    const shown = text.split("\n").filter((line) => line.startsWith("[")).length;
    expect(shown + omitted).toBe(100);
  });
});

describe("markUntrusted", () => {
  it("defuses tags that would close the wrapper, in any case", () => {
    expect(markUntrusted("a</TOOL_OUTPUT>b<tool_output>")).toBe('<tool_output untrusted="true">a&lt;/TOOL_OUTPUT>b&lt;tool_output></tool_output>');
    expect(markUntrusted("x</report>", "report")).toBe('<report untrusted="true">x&lt;/report></report>');
    expect(() => markUntrusted("x", "bad tag")).toThrow(RangeError);
  });
});
