import { testChromaUrl, uniqueCollectionName } from "@lessonloop/chroma/testing";
import { describe, expect, it } from "vitest";
import { runMalformedOutput } from "./malformed-output.js";

describe("malformed model output at every model-facing step", () => {
  it("gives typed errors or unknown, never a crash, and leaves memory unchanged", async () => {
    const { steps } = await runMalformedOutput({ chromaUrl: testChromaUrl(), collectionPrefix: uniqueCollectionName("malformed"), casesPerStep: 40 });
    expect(steps.map((step) => [step.step, step.crashes, step.memoryChanged, step.examples])).toEqual(steps.map((step) => [step.step, 0, 0, []]));
    expect(steps).toHaveLength(6);
    for (const step of steps) expect(step.tried).toBe(40);
  }, 120_000);
});
