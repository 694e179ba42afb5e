import { z } from "zod";
import { StrategyNameSchema } from "./results.js";

const rate = z.number().min(0).max(1);

/**
 * Rates of the simulated learner and validators a seed runs with (the
 * sweep's grid points); each one left out keeps `createSimSuite`'s default.
 */
export const SimRatesSchema = z
  .object({
    falseLessonRate: rate,
    overGeneralRate: rate,
    credulityInjection: rate,
    credulityFeedback: rate,
    validatorErrorRates: z.array(rate).min(1).max(15),
  })
  .partial()
  .strict();
export type SimRates = z.infer<typeof SimRatesSchema>;

/** Most stored cases coverage before trust may ask for; more than a validator replays is a typo. */
export const MAX_COVERAGE_MIN_CASES = 20;

/** How a break may be re-checked before it vetoes a lesson (`createLearningLoop`'s `confirmBreaks`). */
export const CONFIRM_BREAKS = ["off", "same-validator", "other-validator"] as const;

/** When the validators start (`createLearningLoop`'s `validatorSchedule`). */
export const VALIDATOR_SCHEDULES = ["all-at-once", "as-needed"] as const;

/** When a case is replayed without the lesson (`createLearningLoop`'s `baselineReplays`). */
export const BASELINE_REPLAYS = ["always", "as-needed"] as const;

/** Whose stored cases are divided among the validators (`createLearningLoop`'s `divideStoredCases`). */
export const DIVIDE_STORED_CASES = ["never", "one-user-lessons"] as const;

/**
 * How the lessonloop strategy's loop validates (`pnpm bench`'s
 * `--confirm-breaks`, `--repair-rounds`, `--early-stop`, `--replay-in-context`,
 * `--coverage-min-cases`, `--validator-schedule`, `--baseline-replays`,
 * `--divide-stored-cases`); each one left out keeps `createLearningLoop`'s default.
 */
export const LoopSettingsSchema = z
  .object({
    /** How a break is re-checked before it may veto a lesson. */
    confirmBreaks: z.enum(CONFIRM_BREAKS),
    /** Repairs of a lesson rejected for a break; 0 turns repair off. */
    repairRounds: z.number().int().min(0).max(3),
    /** Stop replaying once the verdict is decided. */
    earlyStop: z.boolean(),
    /** Replay each case beside the lessons memory serves on it (with the agent's lesson budget). */
    replayInContext: z.boolean(),
    /** Stored cases that must exercise a risky lesson before it merges on votes; 0 turns coverage off. */
    coverageMinCases: z.number().int().min(0).max(MAX_COVERAGE_MIN_CASES),
    /** When the validators start: all at once, or as the verdict needs them. */
    validatorSchedule: z.enum(VALIDATOR_SCHEDULES),
    /** When a case is replayed without the lesson: always, or only when it can change the vote. */
    baselineReplays: z.enum(BASELINE_REPLAYS),
    /** Whose stored cases are divided among the validators instead of replayed by each. */
    divideStoredCases: z.enum(DIVIDE_STORED_CASES),
  })
  .partial()
  .strict();
export type LoopSettings = z.infer<typeof LoopSettingsSchema>;

/** The settings as a run's parameters (`lessonloop.confirmBreaks` …), in the schema's order: only those that were set. */
export function loopSettingsParameters(settings: LoopSettings): Record<string, string | number | boolean> {
  const keys = Object.keys(LoopSettingsSchema.shape) as (keyof LoopSettings)[];
  return Object.fromEntries(keys.flatMap((key) => (settings[key] === undefined ? [] : [[`lessonloop.${key}`, settings[key]]])));
}

/** One seed's run, handed to a child process as its one JSON argument. */
export const SeedJobSchema = z
  .object({
    seed: z.number().int().nonnegative(),
    mode: z.enum(["sim", "openai"]),
    environments: z.array(z.string().min(1)).min(1),
    strategies: z.array(StrategyNameSchema).min(1),
    episodes: z.number().int().positive(),
    probes: z.number().int().nonnegative(),
    /** The Chroma server every child shares. */
    chromaUrl: z.string().url(),
    /** Prefix of this run's collections, distinct for every child on the server. */
    runId: z.string().regex(/^[a-z0-9]{1,20}$/, "letters and digits, at most 20"),
    /** Where the child writes its `BenchmarkResults` as JSON. */
    resultsPath: z.string().min(1),
    /** `sim` mode only. */
    simRates: SimRatesSchema.default({}),
    /** How the lessonloop strategy validates; each setting left out keeps the loop's default. */
    loop: LoopSettingsSchema.default({}),
  })
  .strict();
export type SeedJob = z.input<typeof SeedJobSchema>;

/** What a child tells its parent, one JSON object per stdout line. */
export const SeedRunMessageSchema = z.discriminatedUnion("type", [
  /** One episode done, e.g. `api-drift · lessonloop`. */
  z.object({ type: z.literal("episode"), label: z.string() }).strict(),
  z.object({ type: z.literal("warning"), message: z.string() }).strict(),
  /** The run threw; `code` is the `LessonloopError` code when it was one. */
  z.object({ type: z.literal("failed"), message: z.string(), code: z.string().optional() }).strict(),
]);
export type SeedRunMessage = z.infer<typeof SeedRunMessageSchema>;
