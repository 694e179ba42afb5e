import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { LessonloopError } from "@lessonloop/core";
import { parseWith } from "@lessonloop/core/internal";
import { z } from "zod";
import { DEFAULT_STRATEGIES, StrategyNameSchema } from "./harness/results.js";
import { BASELINE_REPLAYS, CONFIRM_BREAKS, DIVIDE_STORED_CASES, LoopSettingsSchema, MAX_COVERAGE_MIN_CASES, VALIDATOR_SCHEDULES } from "./harness/seed-run-protocol.js";

export const ENVIRONMENT_NAMES = ["api-drift", "user-preferences", "policy-shift", "poisoned-feedback"] as const;

/** Seeds `pnpm bench` runs when none is named. */
export const DEFAULT_SEEDS = Array.from({ length: 10 }, (_, at) => at + 1);

/** More seeds than this is a typo (`1-1000000`), not a benchmark. */
const MAX_SEEDS = 1_000;

const commaList = z.string().transform((text) => text.split(",").map((part) => part.trim()).filter((part) => part !== ""));

/**
 * A seed list as typed on the command line: `1-10`, `1,2,5`, or both (`1-3,8`).
 * Seeds are whole numbers ≥ 0, each named once, kept in the order given.
 */
export const SeedListSchema = z.string().transform((text, context) => {
  const seeds: number[] = [];
  for (const part of text.split(",").map((item) => item.trim())) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (match === null) {
      context.addIssue({ code: "custom", message: `"${part}" is not a seed (N) or a range (N-M)` });
      return z.NEVER;
    }
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (to < from) {
      context.addIssue({ code: "custom", message: `range "${part}" ends before it starts` });
      return z.NEVER;
    }
    if (seeds.length + (to - from + 1) > MAX_SEEDS) {
      context.addIssue({ code: "custom", message: `at most ${MAX_SEEDS} seeds` });
      return z.NEVER;
    }
    for (let seed = from; seed <= to; seed += 1) seeds.push(seed);
  }
  const repeated = seeds.find((seed, at) => seeds.indexOf(seed) !== at);
  if (repeated !== undefined) {
    context.addIssue({ code: "custom", message: `seed ${repeated} is named twice` });
    return z.NEVER;
  }
  return seeds;
});

/** `--jobs`: child processes running seeds at once. */
export const JobsSchema = z.coerce.number().int("must be a whole number").min(1, "must be at least 1").max(64);

/** A whole number from `min` to `max`, typed after `flag`; any other value is an issue saying what it takes. */
function wholeNumberFlag(flag: string, min: number, max: number, also = "") {
  const takes = `${flag} takes a whole number from ${min} to ${max}${also}`;
  return z
    .string()
    .regex(/^\d+$/, takes)
    .transform(Number)
    .pipe(z.number().min(min, takes).max(max, takes));
}

function onOffFlag(flag: string) {
  return z.enum(["on", "off"], { error: `${flag} takes on or off` }).transform((value) => value === "on");
}

/** The lessonloop strategy's validation settings as typed; an option left out is left out (the loop's default). */
const LoopFlagsSchema = z
  .object({
    confirmBreaks: z.enum(CONFIRM_BREAKS, { error: `--confirm-breaks takes ${CONFIRM_BREAKS.join(", ")}` }),
    repairRounds: wholeNumberFlag("--repair-rounds", 0, 3),
    earlyStop: onOffFlag("--early-stop"),
    replayInContext: onOffFlag("--replay-in-context"),
    coverageMinCases: wholeNumberFlag("--coverage-min-cases", 0, MAX_COVERAGE_MIN_CASES, " (0 turns coverage off)"),
    validatorSchedule: z.enum(VALIDATOR_SCHEDULES, { error: `--validator-schedule takes ${VALIDATOR_SCHEDULES.join(", ")}` }),
    baselineReplays: z.enum(BASELINE_REPLAYS, { error: `--baseline-replays takes ${BASELINE_REPLAYS.join(", ")}` }),
    divideStoredCases: z.enum(DIVIDE_STORED_CASES, { error: `--divide-stored-cases takes ${DIVIDE_STORED_CASES.join(", ")}` }),
  })
  .partial()
  .strict()
  .pipe(LoopSettingsSchema);

/** `pnpm bench` flags of the lessonloop strategy's loop, by the setting each one sets. */
const LOOP_FLAGS = {
  confirmBreaks: "confirm-breaks",
  repairRounds: "repair-rounds",
  earlyStop: "early-stop",
  replayInContext: "replay-in-context",
  coverageMinCases: "coverage-min-cases",
  validatorSchedule: "validator-schedule",
  baselineReplays: "baseline-replays",
  divideStoredCases: "divide-stored-cases",
} as const;

const BenchOptionsSchema = z
  .object({
    mode: z.enum(["sim", "openai"]).default("sim"),
    seeds: SeedListSchema,
    jobs: JobsSchema,
    episodes: z.coerce.number().int("must be a whole number").min(10, "must be at least 10").max(5_000).default(120),
    environments: commaList.pipe(z.array(z.enum(ENVIRONMENT_NAMES)).min(1, "name at least one")).default([...ENVIRONMENT_NAMES]),
    strategies: commaList.pipe(z.array(StrategyNameSchema).min(1, "name at least one")).default([...DEFAULT_STRATEGIES]),
    probes: z.coerce.number().int("must be a whole number").min(0).max(100).default(10),
    out: z.string().min(1).default("results"),
    /** How the lessonloop strategy's loop validates: only the settings given. */
    loop: LoopFlagsSchema,
  })
  .strict();
export type BenchOptions = z.infer<typeof BenchOptionsSchema>;

export const BENCH_USAGE = `Usage: pnpm bench [-- options]
  --seeds LIST             seeds to run, e.g. 1-10 or 1,2,5 (default 1-10); each seed is one run of
                           every environment and strategy, and the figures are means over seeds
  --seed N                 run exactly one seed (the same as --seeds N)
  --jobs N                 seeds running at once, each in its own process (default: the CPU count)
  --mode sim|openai        simulated models (default, offline) or an OpenAI-compatible endpoint
  --episodes N             tasks per environment (default 120)
  --env a,b                environments: ${ENVIRONMENT_NAMES.join(", ")} (default all)
  --strategies a,b         strategies: ${StrategyNameSchema.options.join(", ")}
                           (default ${DEFAULT_STRATEGIES.join(", ")})
  --probes N               probe tasks replayed around each merge to find regressions (default 10)
  --out DIR                where results.json, summary.json and report.html go (default evals/results)
The lessonloop strategy's validation (each left out: createLearningLoop's default, not passed):
  --confirm-breaks off|same-validator|other-validator
                           how a break is re-checked before it may veto a lesson
                           (default other-validator)
  --repair-rounds N        repairs of a lesson rejected for a break, 0-3 (default 1)
  --early-stop on|off      stop replaying once the verdict is decided (default on)
  --replay-in-context on|off
                           replay each case beside the lessons memory serves on it (default on)
  --coverage-min-cases N   stored cases that must exercise a risky lesson before it merges on
                           votes, 0-${MAX_COVERAGE_MIN_CASES}; 0 turns coverage off (default 2)
  --validator-schedule all-at-once|as-needed
                           start every validator at once, or the quorum first and each further
                           one only while the verdict is undecided (default all-at-once)
  --baseline-replays always|as-needed
                           replay every case without the lesson too, or only when that can
                           change the vote (default as-needed)
  --divide-stored-cases never|one-user-lessons
                           have every validator replay every stored case, or divide a one-user
                           lesson's stored cases among them (default one-user-lessons)`;

/** Reads `argv` with `parseArgs`; an unknown or malformed flag is an `invalid_input` error followed by `usage`. */
export function readFlags<const Names extends readonly string[]>(
  argv: readonly string[],
  names: Names,
  usage: string,
): Partial<Record<Names[number], string>> {
  try {
    const { values } = parseArgs({
      args: argv.filter((arg) => arg !== "--"),
      options: Object.fromEntries(names.map((name) => [name, { type: "string" as const }])),
      strict: true,
      allowPositionals: false,
    });
    return values as Partial<Record<Names[number], string>>;
  } catch (error) {
    throw new LessonloopError("invalid_input", `${error instanceof Error ? error.message : String(error)}\n${usage}`, { cause: error });
  }
}

export interface ParseBenchOptionsParams {
  /** CPUs of the machine: the default `--jobs`. */
  cpus?: number;
}

/** Parses `pnpm bench` arguments; a bad one is an `invalid_input` error naming the option. */
export function parseBenchOptions(argv: readonly string[], { cpus = availableParallelism() }: ParseBenchOptionsParams = {}): BenchOptions {
  const flags = readFlags(
    argv,
    ["mode", "seed", "seeds", "jobs", "episodes", "env", "strategies", "probes", "out", ...Object.values(LOOP_FLAGS)],
    BENCH_USAGE,
  );
  const { env, seed, seeds, ...rest } = flags;
  const loop = Object.fromEntries(
    Object.entries(LOOP_FLAGS).flatMap(([setting, flag]) => (rest[flag] === undefined ? [] : [[setting, rest[flag]]])),
  );
  for (const flag of Object.values(LOOP_FLAGS)) delete rest[flag];
  if (seed !== undefined && seeds !== undefined) {
    throw new LessonloopError("invalid_input", `Give --seed or --seeds, not both.\n${BENCH_USAGE}`);
  }
  const given = Object.fromEntries(
    Object.entries({
      ...rest,
      environments: env,
      seeds: seed ?? seeds ?? `${DEFAULT_SEEDS[0]}-${DEFAULT_SEEDS.at(-1)}`,
      jobs: rest.jobs ?? String(cpus),
      loop,
    }).filter(([, value]) => value !== undefined),
  );
  return parseWith(BenchOptionsSchema, given, "pnpm bench options");
}
