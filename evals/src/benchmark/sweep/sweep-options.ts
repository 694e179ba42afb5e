import { availableParallelism } from "node:os";
import { parseWith } from "@lessonloop/core/internal";
import { z } from "zod";
import { ENVIRONMENT_NAMES, JobsSchema, SeedListSchema, readFlags } from "../bench-options.js";
import { DEFAULT_LEARNER_ERROR_SCALES, DEFAULT_VALIDATOR_MISREAD_RATES } from "./sweep-grid.js";

const commaList = z.string().transform((text) => text.split(",").map((part) => part.trim()).filter((part) => part !== ""));

/** A comma list of distinct numbers within `[min, max]`, e.g. `0,1,2,4`. */
const numberList = (min: number, max: number) =>
  commaList.pipe(
    z
      .array(z.string().transform(Number).pipe(z.number().min(min, `each at least ${min}`).max(max, `each at most ${max}`)))
      .min(1, "name at least one")
      .refine((values) => new Set(values).size === values.length, "each value once"),
  );

const SweepOptionsSchema = z
  .object({
    seeds: SeedListSchema,
    jobs: JobsSchema,
    episodes: z.coerce.number().int("must be a whole number").min(10, "must be at least 10").max(5_000).default(120),
    environments: commaList.pipe(z.array(z.enum(ENVIRONMENT_NAMES)).min(1, "name at least one")).default([...ENVIRONMENT_NAMES]),
    scales: numberList(0, 100).default([...DEFAULT_LEARNER_ERROR_SCALES]),
    misreads: numberList(0, 1).default([...DEFAULT_VALIDATOR_MISREAD_RATES]),
    // The sweep reports success, calls and wrong merges, not regressions; probes would only double its time.
    probes: z.coerce.number().int("must be a whole number").min(0).max(100).default(0),
    out: z.string().min(1).default("results"),
  })
  .strict();
export type SweepOptions = z.infer<typeof SweepOptionsSchema>;

/** Seeds per grid point when none are named. */
export const DEFAULT_SWEEP_SEEDS = "1-3";

export const SWEEP_USAGE = `Usage: pnpm bench:sweep [-- options]
  Runs lessonloop and unvalidated learning (sim mode) over a grid of the simulated learner's
  error rates and the validators' misread rate; writes sweep.json and sweep.html.
  --scales LIST            learner error rates as multiples of their defaults, each capped at 1
                           (default ${DEFAULT_LEARNER_ERROR_SCALES.join(",")})
  --misreads LIST          each validator's chance of misreading a replay (default ${DEFAULT_VALIDATOR_MISREAD_RATES.join(",")})
  --seeds LIST             seeds per grid point, e.g. 1-3 or 1,4 (default ${DEFAULT_SWEEP_SEEDS})
  --jobs N                 runs at once, each in its own process (default: the CPU count)
  --episodes N             tasks per environment (default 120)
  --env a,b                environments: ${ENVIRONMENT_NAMES.join(", ")} (default all)
  --probes N               probe tasks replayed around each merge to count regressions (default 0: the
                           sweep reports no regressions, and probes change no other figure)
  --out DIR                where sweep.json and sweep.html go (default evals/results)`;

/** Parses `pnpm bench:sweep` arguments; a bad one is an `invalid_input` error naming the option. */
export function parseSweepOptions(argv: readonly string[], { cpus = availableParallelism() }: { cpus?: number } = {}): SweepOptions {
  const { env, ...flags } = readFlags(argv, ["seeds", "jobs", "episodes", "env", "scales", "misreads", "probes", "out"], SWEEP_USAGE);
  const given = Object.fromEntries(
    Object.entries({ ...flags, environments: env, seeds: flags.seeds ?? DEFAULT_SWEEP_SEEDS, jobs: flags.jobs ?? String(cpus) }).filter(([, value]) => value !== undefined),
  );
  return parseWith(SweepOptionsSchema, given, "pnpm bench:sweep options");
}
