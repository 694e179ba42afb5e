import { createLexicalEmbedder } from "@lessonloop/core";
import { testChromaUrl } from "@lessonloop/chroma/testing";
import { describe, expect, it } from "vitest";
import { createPolicyShiftEnvironment } from "../environments/index.js";
import type { BenchmarkResults } from "../harness/results.js";
import { runBenchmark } from "../harness/run-benchmark.js";
import { createSimSuite } from "../sim/index.js";

/** What a strategy did on the stream, without the regressions the probes find and the clock's readings. */
function behaviour(results: BenchmarkResults) {
  return results.environments.map((environment) =>
    environment.strategies.map(({ strategy, episodes, lessons, rollbacks, summary }) => ({
      strategy,
      episodes,
      lessons,
      rollbacks,
      successRate: summary.successRate,
      modelCallsPerEpisode: summary.modelCallsPerEpisode,
    })),
  );
}

// The sweep runs without regression probes (its default `--probes 0`): that is sound only while probes change nothing else.
describe("regression probes", () => {
  it("change no episode, lesson, rollback or cost of the strategies they probe", { timeout: 180_000 }, async () => {
    const run = (probes: number) =>
      runBenchmark({
        suite: createSimSuite({ seed: 4 }),
        environments: [createPolicyShiftEnvironment()],
        strategies: ["unvalidated", "lessonloop"],
        seed: 4,
        episodes: 60,
        probes,
        chromaUrl: testChromaUrl(),
        embedder: createLexicalEmbedder(),
      });
    const probed = await run(6);
    const unprobed = await run(0);
    // The probes did run: lessons were merged, so there was something to probe.
    expect(probed.environments[0]?.strategies.some((strategy) => strategy.lessons.some((lesson) => lesson.outcome === "merged"))).toBe(true);
    expect(unprobed.environments[0]?.strategies.every((strategy) => strategy.regressions.length === 0)).toBe(true);
    expect(behaviour(unprobed)).toEqual(behaviour(probed));
  });
});
