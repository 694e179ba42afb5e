/**
 * `pnpm bench`: the same drifting task streams through a static agent, a
 * reflection buffer, unvalidated learning, lessonloop and an oracle, over
 * several seeds run side by side in child processes that share one Chroma
 * server; prints a summary with 95% intervals over seeds, writes
 * `results.json`, `summary.json` and `report.html`. The only place that reads
 * the command line and the environment.
 */
import { performance } from "node:perf_hooks";
import { resolve } from "node:path";
import { LessonloopError } from "@lessonloop/core";
import { startChroma } from "@lessonloop/chroma";
import { BENCH_USAGE, parseBenchOptions } from "./bench-options.js";
import { combineSeedRuns } from "./harness/combine-seeds.js";
import { isSeedRunError, runSeedJobs } from "./harness/seed-pool.js";
import { formatDuration } from "./report/summary-columns.js";
import { formatSummary, ProgressBar } from "./report/terminal.js";
import { writeResults } from "./report/write-results.js";

async function main(argv: readonly string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(BENCH_USAGE);
    return;
  }
  const options = parseBenchOptions(argv);
  const chromaUrl = process.env["CHROMA_URL"];
  const chroma = await startChroma(chromaUrl === undefined || chromaUrl === "" ? {} : { url: chromaUrl });
  const warnings = new Map<string, number>();
  const progress = new ProgressBar();
  const startedAt = new Date();
  const started = performance.now();
  try {
    const { seeds, mode, environments, strategies, episodes, probes, loop } = options;
    progress.start(seeds.length * environments.length * strategies.length * episodes);
    const runs = await runSeedJobs({
      jobs: seeds.map((seed) => ({ seed, mode, environments, strategies, episodes, probes, loop })),
      chromaUrl: chroma.url,
      concurrency: options.jobs,
      onEpisode: (job, label) => progress.tick(`seed ${job.seed} · ${label}`),
      onWarning: (_job, message) => warnings.set(message, (warnings.get(message) ?? 0) + 1),
      onJobDone: (job, results) => progress.note(`seed ${job.seed} done in ${formatDuration(results.wallMs)}`),
    }).finally(() => progress.done());
    const results = combineSeedRuns({
      runs,
      startedAt: startedAt.toISOString(),
      wallMs: performance.now() - started,
      jobs: Math.min(options.jobs, seeds.length),
    });
    console.log(formatSummary(results));
    const written = await writeResults(resolve(options.out), results);
    if (warnings.size > 0) {
      console.log(`\nWarnings during the run (${[...warnings.values()].reduce((sum, n) => sum + n, 0)}):`);
      for (const [message, times] of [...warnings].slice(0, 10)) console.log(`  ${times}× ${message.slice(0, 200)}`);
    }
    console.log(`\nWrote ${written.resultsPath},\n  ${written.summaryPath}\n  and ${written.reportPath}`);
  } finally {
    await chroma.stop();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(LessonloopError.isInstance(error) || isSeedRunError(error) ? error.message : error);
  process.exitCode = 1;
});
