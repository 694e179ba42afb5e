import { testChromaUrl } from "@lessonloop/chroma/testing";
import { describe, expect, it } from "vitest";
import { runFleet } from "./fleet.js";

describe("fleet example", () => {
  it("starts the fleet, learns the cents lesson once the first runs fail, and later runs succeed", { timeout: 180_000 }, async () => {
    const lines: string[] = [];
    const result = await runFleet({ chromaUrl: testChromaUrl(), agents: 2, runs: 3, workers: 2, pauseMs: 2_500, print: (line) => lines.push(line) });
    expect(result.learned).toBe(result.acknowledged);
    // The agents' first failures are learned by both workers at once: the lesson is merged once, never twice.
    expect(result.lessons.map((lesson) => lesson.trigger)).toEqual(["creating an invoice with the create_invoice tool"]);
    expect(result.merges).toBe(1);
    // The first runs fail (nothing learned yet); the last run of each agent is served the lesson.
    expect(result.outcomes[0]).toBe(false);
    expect(result.outcomes.at(-1)).toBe(true);
    expect(lines.join("\n")).toContain("Lessons live in the shared memory");
  });
});
