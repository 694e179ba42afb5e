import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseWith } from "@lessonloop/core/internal";
import { BenchmarkResultsSchema, type BenchmarkResults } from "./results.js";
import { SeedJobSchema, SeedRunMessageSchema, type SeedJob } from "./seed-run-protocol.js";

const HERE = dirname(fileURLToPath(import.meta.url));
/** The evals package folder: children resolve `tsx` and the workspace packages from there. */
const EVALS_ROOT = resolve(HERE, "../../..");
const WORKER = join(HERE, "seed-run-worker.ts");

/** What the pool runs: a seed job without the fields the pool fills in. */
export type PoolJob = Omit<SeedJob, "chromaUrl" | "runId" | "resultsPath">;

export interface RunSeedJobsParams<Job extends PoolJob> {
  jobs: readonly Job[];
  /** The one Chroma server every child uses. */
  chromaUrl: string;
  /** Children running at once. */
  concurrency: number;
  /** After each episode of any child. */
  onEpisode?: (job: Job, label: string) => void;
  onWarning?: (job: Job, message: string) => void;
  /** When a child's results are back and valid. */
  onJobDone?: (job: Job, results: BenchmarkResults) => void;
  /** How errors name a job; default `seed N`. */
  nameJob?: (job: Job) => string;
}

/** A child that failed, named by its job; `name` is `SeedRunError`. */
function seedRunError(what: string, detail: string, cause?: unknown): Error {
  const error = new Error(`${what} failed: ${detail}`, cause === undefined ? undefined : { cause });
  error.name = "SeedRunError";
  return error;
}

/** Whether `error` is a child's failure from `runSeedJobs` (its message names the seed). */
export function isSeedRunError(error: unknown): error is Error {
  return error instanceof Error && error.name === "SeedRunError";
}

const tail = (text: string, lines = 15) => text.trim().split("\n").slice(-lines).join("\n");

/**
 * Runs each job (one seed of `runBenchmark`) in its own Node process,
 * `concurrency` at a time, all on one Chroma server; returns the results in
 * the jobs' order, each validated against `BenchmarkResultsSchema`. The first
 * child to fail stops the others and rejects with an error naming its seed.
 */
export async function runSeedJobs<Job extends PoolJob>({
  jobs,
  chromaUrl,
  concurrency,
  onEpisode = () => {},
  onWarning = () => {},
  onJobDone = () => {},
  nameJob = (job) => `seed ${job.seed}`,
}: RunSeedJobsParams<Job>): Promise<BenchmarkResults[]> {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`runSeedJobs needs a whole concurrency ≥ 1, got ${concurrency}.`);
  const folder = await mkdtemp(join(tmpdir(), "lessonloop-seeds-"));
  // Distinct collections for every child on the shared server, and for every run on a reused one.
  const runPrefix = `s${Date.now().toString(36)}`;
  const results: BenchmarkResults[] = new Array(jobs.length);
  const running = new Set<ReturnType<typeof spawn>>();
  let failure: Error | undefined;
  let next = 0;

  async function runOne(job: Job, index: number): Promise<void> {
    const what = nameJob(job);
    // Only the fields a child reads: callers' jobs may carry their own (a sweep's grid point).
    const { seed, mode, environments, strategies, episodes, probes, simRates, loop } = job;
    const seedJob = parseWith(
      SeedJobSchema,
      { seed, mode, environments, strategies, episodes, probes, simRates, loop, chromaUrl, runId: `${runPrefix}j${index}`, resultsPath: join(folder, `${index}.json`) },
      `job of ${what}`,
    );
    const child = spawn(process.execPath, ["--import", "tsx", "--conditions=@lessonloop/source", WORKER, JSON.stringify(seedJob)], {
      cwd: EVALS_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    running.add(child);
    let stderr = "";
    let reported: string | undefined;
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = `${stderr}${chunk.toString()}`.slice(-8_000);
    });
    createInterface({ input: child.stdout }).on("line", (line) => {
      let parsed;
      try {
        parsed = SeedRunMessageSchema.safeParse(JSON.parse(line));
      } catch {
        parsed = undefined;
      }
      // Anything else a library printed goes with stderr, for the error message.
      if (parsed === undefined || !parsed.success) {
        stderr = `${stderr}${line}\n`.slice(-8_000);
        return;
      }
      const message = parsed.data;
      if (message.type === "episode") onEpisode(job, message.label);
      else if (message.type === "warning") onWarning(job, message.message);
      else reported = message.message;
    });
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit, reject) => {
      child.once("error", reject);
      child.once("close", (code, signal) => resolveExit({ code, signal }));
    }).finally(() => running.delete(child));
    if (failure !== undefined) return;
    if (exit.code !== 0) {
      const how = exit.signal === null ? `exit code ${exit.code}` : `signal ${exit.signal}`;
      throw seedRunError(what, `${reported ?? `the process ended (${how})`}${stderr.trim() === "" ? "" : `\n${tail(stderr)}`}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(await readFile(seedJob.resultsPath, "utf8"));
    } catch (cause) {
      throw seedRunError(what, `its results at ${seedJob.resultsPath} are missing or not JSON`, cause);
    }
    const parsed = parseWith(BenchmarkResultsSchema, json, `results of ${what}`);
    results[index] = parsed;
    onJobDone(job, parsed);
  }

  async function lane(): Promise<void> {
    while (failure === undefined && next < jobs.length) {
      const index = next;
      next += 1;
      const job = jobs[index];
      if (job === undefined) continue;
      try {
        await runOne(job, index);
      } catch (error) {
        failure ??= error instanceof Error ? error : seedRunError(nameJob(job), String(error));
        for (const child of running) child.kill("SIGTERM");
      }
    }
  }

  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, lane));
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
  if (failure !== undefined) throw failure;
  return results;
}
