import { createLexicalEmbedder } from "@lessonloop/core";
import { describe, expect, it } from "vitest";
import { condenseTrajectory } from "@lessonloop/core/internal";
import { InMemoryExampleSource } from "./example-source.js";
import { episodeFixture } from "./tests/episode-fixture.js";

describe("condenseTrajectory", () => {
  it("keeps one short line per tool call, result (marked as untrusted data) and answer, leaving the user's message out", () => {
    expect(condenseTrajectory(episodeFixture("e").trajectory ?? [])).toEqual([
      'call lookup_order({"id":42})',
      'lookup_order → <tool_output untrusted="true">{"charges":[1999,1999]}</tool_output>',
      "assistant: Refunded the duplicate charge of 19.99.",
    ]);
  });

  it("cuts long lines and leaves the middle of long runs out", () => {
    const steps = Array.from({ length: 30 }, (_, index) => ({ type: "message" as const, role: "assistant" as const, content: `step ${index} ${"x".repeat(300)}` }));
    const lines = condenseTrajectory(steps, { maxSteps: 5, maxStepChars: 40 });
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^assistant: step 0 x+…$/);
    expect(lines[0]).toHaveLength(40);
    expect(lines[3]).toBe("… 26 steps left out");
    expect(lines[4]).toMatch(/^assistant: step 29 /);
  });
});

describe("InMemoryExampleSource", () => {
  it("returns successful runs of similar tasks in the caller's scope, most similar first", async () => {
    const source = new InMemoryExampleSource({ embedder: createLexicalEmbedder() });
    const added = await source.add([
      episodeFixture("refund"),
      episodeFixture("failed-refund", { outcome: { status: "failure", signal: { source: "environment", detail: "500" } } }),
      episodeFixture("weather", { input: "What is the weather in Lisbon tomorrow?" }),
      episodeFixture("bobs-refund", { scope: { tenant: "acme", user: "bob" }, input: "Refund order 7, charged twice" }),
      episodeFixture("other-tenant", { scope: { tenant: "globex" } }),
    ]);
    expect(added).toBe(4);
    expect(source.size).toBe(4);

    const forAna = await source.findExamples({ query: "Please refund order 99, charged twice", scope: { tenant: "acme", user: "ana" }, k: 5 });
    expect(forAna.map((example) => example.id)).toEqual(["refund", "weather"]);
    expect(forAna[0]?.score).toBeGreaterThan(forAna[1]?.score ?? 1);
    expect(forAna[0]?.steps).toContain('call lookup_order({"id":42})');

    const forBob = await source.findExamples({ query: "Please refund order 99, charged twice", scope: { tenant: "acme", user: "bob" }, k: 1 });
    expect(forBob.map((example) => example.id)).toEqual(["bobs-refund"]);
  });

  it("rejects a bad episode by naming the field", async () => {
    const source = new InMemoryExampleSource({ embedder: createLexicalEmbedder() });
    await expect(source.add([episodeFixture("bad", { scope: { tenant: "" } })])).rejects.toThrow(/scope\.tenant/);
  });
});
