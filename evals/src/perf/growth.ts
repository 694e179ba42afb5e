import type { Embedder } from "@lessonloop/core";
import { createApiDriftEnvironment } from "../benchmark/environments/index.js";
import { runBenchmark } from "../benchmark/harness/run-benchmark.js";
import { createSimSuite } from "../benchmark/sim/index.js";
import { round } from "./machine-probe.js";
import type { Growth } from "./perf-results.js";

export interface GrowthParams {
  chromaUrl: string;
  embedder: Embedder;
  /** Tasks of the API-drift stream to process. */
  episodes: number;
  seed: number;
  /** How many points of the curve to keep. */
  points?: number;
}

/**
 * Section 4: lessons live in memory against episodes processed, on the
 * API-drift stream run through the real learning loop (the benchmark harness's
 * lessonloop strategy, simulated models). Near-duplicates strengthen or
 * supersede a lesson instead of adding one, so memory should grow far slower
 * than failures.
 */
export async function measureGrowth({ chromaUrl, embedder, episodes, seed, points = 10 }: GrowthParams): Promise<Growth> {
  const environment = createApiDriftEnvironment();
  const results = await runBenchmark({
    suite: createSimSuite({ seed }),
    environments: [environment],
    strategies: ["lessonloop"],
    seed,
    episodes,
    chromaUrl,
    embedder,
  });
  const records = results.environments[0]?.strategies[0]?.episodes ?? [];
  if (records.length === 0) throw new Error("the API-drift run returned no episodes");
  const every = Math.max(1, Math.floor(records.length / points));
  let failures = 0;
  const curve: { episodes: number; failures: number; liveLessons: number }[] = [];
  records.forEach((record, index) => {
    if (!record.passed) failures++;
    if ((index + 1) % every === 0 || index === records.length - 1) curve.push({ episodes: index + 1, failures, liveLessons: record.memorySize });
  });
  const last = curve.at(-1);
  return {
    status: "measured",
    environment: environment.name,
    points: curve,
    lessonsPerFailure: last === undefined || last.failures === 0 ? 0 : round(last.liveLessons / last.failures, 3),
  };
}
