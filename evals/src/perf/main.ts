/**
 * The standing performance benchmark: what lessonloop adds to every agent step
 * and what learning costs, at 1k, 10k and 100k lessons, side by side with
 * LangGraph's InMemoryStore and "every lesson in the prompt". One embedded
 * Chroma server serves every section; figures are medians of repeated runs.
 *
 *   pnpm bench:perf                                   # the full run (< 10 min on 2 cores)
 *   pnpm bench:perf --sizes 1000,10000 --repeats 2    # a quicker look
 *   pnpm bench:perf --live-index 0                    # every first step in Chroma
 *
 * Writes `evals/results/perf.json` and prints the tables.
 */
import { startChroma } from "@lessonloop/chroma";
import { createLexicalEmbedder } from "@lessonloop/core";
import { parseWith } from "@lessonloop/core/internal";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { z } from "zod";
import { measureGrowth } from "./growth.js";
import { measureHotPath, seedMemories, type SeededMemory } from "./hot-path.js";
import { loadAverage, machineInfo, processMemory, round } from "./machine-probe.js";
import { GENERATED_BY_PERF, PerfResultsSchema, type PerfResults } from "./perf-results.js";
import { evaluateTargets, renderTables } from "./perf-report.js";
import { measureSnapshots } from "./snapshots.js";
import { measureValidation } from "./validation.js";

const sizeList = z
  .string()
  .regex(/^\d+(,\d+)*$/, "must be whole numbers separated by commas, e.g. 1000,10000")
  .transform((text) => text.split(",").map(Number).sort((a, b) => a - b))
  .pipe(z.array(z.number().int().min(10).max(1_000_000)).min(1));
const wholeNumber = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const ArgsSchema = z
  .object({
    /** Lesson counts of the hot path and snapshot sections. */
    sizes: sizeList.default([1_000, 10_000, 100_000]),
    /** Edge cases stored for the validation section. */
    cases: sizeList.default([100, 1_000, 10_000]),
    repeats: wholeNumber(1, 20).default(3),
    /** Agent runs timed per repeat and size. */
    steps: wholeNumber(10, 10_000).default(150),
    /** Simulated latency of one model call in the validation section (ms). */
    latency: wholeNumber(0, 10_000).default(100),
    /** Tasks of the API-drift stream run through the learning loop for the growth section. */
    "growth-episodes": wholeNumber(10, 5_000).default(200),
    /** Where to write the results. */
    out: z.string().min(1).default(join(dirname(fileURLToPath(import.meta.url)), "..", "..", "results", "perf.json")),
    /** Up to how many live lessons a memory answers searches in process (ChromaLessonMemory's `liveIndexLessons`); default as `openChromaStores` opens the agent's memory. */
    "live-index": wholeNumber(0, 10_000_000).default(100_000),
    /** A Chroma server to use instead of starting one (CHROMA_URL also works); its memory is then not measured. */
    "chroma-url": z.url().optional(),
  })
  .strict();

const { values } = parseArgs({
  options: {
    sizes: { type: "string" },
    cases: { type: "string" },
    repeats: { type: "string" },
    steps: { type: "string" },
    latency: { type: "string" },
    "growth-episodes": { type: "string" },
    out: { type: "string" },
    "chroma-url": { type: "string" },
    "live-index": { type: "string" },
  },
  strict: true,
});
const args = parseWith(ArgsSchema, { ...values, "chroma-url": values["chroma-url"] ?? (process.env["CHROMA_URL"] || undefined) }, "bench:perf arguments");

const CANDIDATES = 20;
const BUDGET = 600;
const VALIDATORS = [3, 5, 7];
const CONCURRENCY = 4;
const log = (line: string) => console.log(`[perf ${round(performance.now() / 1_000, 0)} s] ${line}`);

const started = performance.now();
const loadBefore = loadAverage();
const embedder = createLexicalEmbedder();
const server = await startChroma({ url: args["chroma-url"] });
let results: PerfResults;
let seeded: SeededMemory[] = [];
try {
  log(`Chroma at ${server.url}; load average ${loadBefore.join(" / ")}`);
  seeded = await seedMemories({ url: server.url, sizes: args.sizes, embedder, liveIndexLessons: args["live-index"], log });
  const hotPath = await measureHotPath({
    serverPid: server.pid,
    embedder,
    seeded,
    repeats: args.repeats,
    steps: args.steps,
    baselineSearches: 20,
    candidates: CANDIDATES,
    budget: BUDGET,
    log,
  });
  const snapshots = await measureSnapshots({ seeded, serverPid: server.pid, repeats: args.repeats, pairs: 10 });
  log(`snapshots: rollback ${snapshots.sizes.map((entry) => `${entry.rollback.p50.median} ms`).join(" / ")}`);
  const validationRuns = await measureValidation({
    url: server.url,
    embedder,
    validatorCounts: VALIDATORS,
    storeSizes: args.cases,
    latencyMs: args.latency,
    concurrency: CONCURRENCY,
    repeats: args.repeats,
    log,
  });
  const growth = await measureGrowth({ chromaUrl: server.url, embedder, episodes: args["growth-episodes"], seed: 1 });
  log(growth.status === "measured" ? `growth: ${growth.points.at(-1)?.liveLessons} live lessons after ${growth.points.at(-1)?.failures} failures` : `growth: ${growth.reason}`);
  const chromaPeak = await processMemory(server.pid);
  const partial = {
    generated: GENERATED_BY_PERF,
    measuredAt: new Date().toISOString(),
    command: `pnpm bench:perf ${process.argv.slice(2).join(" ")}`.trim(),
    durationSeconds: round((performance.now() - started) / 1_000, 1),
    machine: machineInfo(),
    loadBefore,
    loadAfter: loadAverage(),
    parameters: {
      sizes: args.sizes,
      storedCases: args.cases,
      repeats: args.repeats,
      stepsPerRepeat: args.steps,
      embedder: embedder.name,
      retriever: { candidates: CANDIDATES, budget: BUDGET, maxLessons: 5 },
      liveIndexLessons: args["live-index"],
      validation: { validators: VALIDATORS, concurrency: CONCURRENCY, latencyMs: args.latency, casesPerValidator: 8, motivatingCases: 1 },
      snapshots: { pairsPerRepeat: 10 },
      growth: { environment: "api-drift", episodes: args["growth-episodes"], suite: "sim", seed: 1 },
      chromaServerPeakMiB: chromaPeak.peakMiB,
    },
    hotPath,
    validation: { latencyMs: args.latency, concurrency: CONCURRENCY, runs: validationRuns },
    snapshots,
    growth,
  };
  results = PerfResultsSchema.parse({ ...partial, targets: evaluateTargets(partial, BUDGET) });
} finally {
  await Promise.all(seeded.map(({ memory }) => memory.close()));
  await server.stop();
}

const out = args.out;
await mkdir(dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\n${renderTables(results)}\n\nWrote ${out}`);
if (results.targets.some((target) => !target.met)) {
  console.log(`Targets missed: ${results.targets.filter((target) => !target.met).map((target) => target.name).join("; ")}.`);
}
