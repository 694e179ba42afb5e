/**
 * `pnpm bench:sweep`: lessonloop against unvalidated learning over a grid of
 * the simulated learner's error rates and the validators' misread rate,
 * several seeds per point, every run in its own process on one Chroma server;
 * writes `sweep.json` and `sweep.html`. The only place that reads the command
 * line and the environment.
 */
import { performance } from "node:perf_hooks";
import { resolve } from "node:path";
import { LessonloopError } from "@lessonloop/core";
import { startChroma } from "@lessonloop/chroma";
import { isSeedRunError, runSeedJobs } from "../harness/seed-pool.js";
import { formatDuration } from "../report/summary-columns.js";
import { ProgressBar } from "../report/terminal.js";
import { DEFAULT_LEARNER_RATES } from "../sim/index.js";
import { sweepJobs, type SweepJob } from "./sweep-grid.js";
import { SWEEP_USAGE, parseSweepOptions } from "./sweep-options.js";
import { formatSweepSummary } from "./sweep-report.js";
import { combineSweep } from "./sweep-results.js";
import { writeSweep } from "./write-sweep.js";

const describeJob = (job: SweepJob) =>
  `seed ${job.seed}, ${job.strategies.join("+")} at learner ×${job.learnerErrorScale}${job.validatorMisreadRate === null ? "" : `, misread ${job.validatorMisreadRate}`}`;

async function main(argv: readonly string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(SWEEP_USAGE);
    return;
  }
  const options = parseSweepOptions(argv);
  const jobs = sweepJobs(options);
  const chromaUrl = process.env["CHROMA_URL"];
  const chroma = await startChroma(chromaUrl === undefined || chromaUrl === "" ? {} : { url: chromaUrl });
  const progress = new ProgressBar();
  const startedAt = new Date();
  const started = performance.now();
  let warnings = 0;
  try {
    progress.start(jobs.reduce((sum, job) => sum + job.environments.length * job.strategies.length * job.episodes, 0));
    const runs = await runSeedJobs({
      jobs,
      chromaUrl: chroma.url,
      concurrency: options.jobs,
      nameJob: describeJob,
      onEpisode: (job, label) => progress.tick(`${describeJob(job)} · ${label}`),
      onWarning: () => (warnings += 1),
      onJobDone: (job, results) => progress.note(`${describeJob(job)}: done in ${formatDuration(results.wallMs)}`),
    }).finally(() => progress.done());
    const results = combineSweep({
      jobs,
      runs,
      seeds: options.seeds,
      scales: options.scales,
      misreads: options.misreads,
      environments: options.environments,
      episodes: options.episodes,
      probes: options.probes,
      defaultLearnerRates: { ...DEFAULT_LEARNER_RATES },
      startedAt: startedAt.toISOString(),
      wallMs: performance.now() - started,
      concurrency: Math.min(options.jobs, jobs.length),
    });
    console.log(formatSweepSummary(results));
    const written = await writeSweep(resolve(options.out), results);
    if (warnings > 0) console.log(`${warnings} warnings during the runs.`);
    console.log(`Wrote ${written.sweepPath}\n  and ${written.reportPath}`);
  } finally {
    await chroma.stop();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(LessonloopError.isInstance(error) || isSeedRunError(error) ? error.message : error);
  process.exitCode = 1;
});
