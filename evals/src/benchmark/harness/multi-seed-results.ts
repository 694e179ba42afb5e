import { z } from "zod";
import {
  LessonEventSchema,
  RegressionEventSchema,
  RollbackEventSchema,
  StrategyNameSchema,
  StrategySummarySchema,
} from "./results.js";

/** The mark of every file `pnpm bench` writes: run it again rather than edit one. */
export const GENERATED_BY_BENCH = "by pnpm bench — do not edit";

const count = z.number().int().nonnegative();
const interval = z.tuple([z.number(), z.number()]).refine(([low, high]) => low <= high, "the interval's low end is above its high end");

/** A mean over seeds with its 95% interval (`statistics.ts`); `df` 0 means one seed and no interval. */
export const MeanIntervalSchema = z
  .object({ n: count, mean: z.number(), sd: z.number().nonnegative(), df: count, ci95: interval })
  .strict();

/** A paired difference over seeds (`pairedDifference` in `statistics.ts`): its mean interval and the seeds won, lost and tied. */
export const PairedDifferenceSchema = z
  .object({ ...MeanIntervalSchema.shape, differences: z.array(z.number()), seedsWon: count, seedsLost: count, ties: count })
  .strict();

/**
 * One strategy's episodes on one seed, as parallel lists in stream order
 * (position = episode index): enough to draw learning, cost and memory curves.
 */
export const CompactEpisodesSchema = z
  .object({
    /** One character per episode: `1` passed, `0` failed. */
    passed: z.string().regex(/^[01]*$/, "one 0 or 1 per episode"),
    /** Model calls, the agent's and learning's. */
    calls: z.array(count),
    /** Prompt and completion tokens, the agent's and learning's. */
    tokens: z.array(count),
    /** Lessons (reflections, rules) live after the episode. */
    memorySize: z.array(count),
  })
  .strict()
  .refine(
    ({ passed, calls, tokens, memorySize }) => [calls, tokens, memorySize].every((list) => list.length === passed.length),
    "calls, tokens and memorySize need one entry per episode of passed",
  );
export type CompactEpisodes = z.infer<typeof CompactEpisodesSchema>;

/** One seed of one strategy on one environment: its figures and everything it learned. */
export const SeedRunSchema = z
  .object({
    seed: z.number().int(),
    summary: StrategySummarySchema,
    episodes: CompactEpisodesSchema,
    lessons: z.array(LessonEventSchema),
    rollbacks: z.array(RollbackEventSchema),
    regressions: z.array(RegressionEventSchema),
  })
  .strict();
export type SeedRun = z.infer<typeof SeedRunSchema>;

/**
 * Adaptation latency pooled over drifts and seeds: the median of the recovered
 * drifts' latencies, and how many drifts were never recovered (or had too few
 * affected episodes to tell) — those have no latency to take a median of.
 */
export const LatencySummarySchema = z
  .object({ median: z.number().nonnegative().nullable(), recovered: count, neverRecovered: count, tooFewToTell: count })
  .strict();
export type LatencySummary = z.infer<typeof LatencySummarySchema>;

/** One strategy on one environment over every seed. */
export const StrategyAggregateSchema = z
  .object({
    /** Success rate (0–1): mean over seeds, 95% interval clipped to [0, 1]. */
    success: MeanIntervalSchema,
    /** Means over seeds (every seed runs the same number of episodes). */
    callsPerEpisode: z.number().nonnegative(),
    tokensPerEpisode: z.number().nonnegative(),
    contextTokensPerEpisode: z.number().nonnegative(),
    /**
     * Served recall over every seed: applicable lessons served / applicable (0–1),
     * pooled over episodes; `null` when no live lesson applied to any task, absent
     * for strategies that do not retrieve (and in results written before it was measured).
     */
    servedRecall: z.number().min(0).max(1).nullable().optional(),
    /** Summed over seeds; each seed's own count is in its `summary`. */
    merged: count,
    wrongMerged: count,
    rejected: count,
    wrongRejected: count,
    regressions: count,
    rollbacks: count,
    adaptationLatency: LatencySummarySchema,
  })
  .strict();
export type StrategyAggregate = z.infer<typeof StrategyAggregateSchema>;

export const MultiSeedStrategySchema = z
  .object({
    strategy: StrategyNameSchema,
    aggregate: StrategyAggregateSchema,
    /** One entry per seed, in the order of the results' `seeds`. */
    seeds: z.array(SeedRunSchema),
  })
  .strict();
export type MultiSeedStrategy = z.infer<typeof MultiSeedStrategySchema>;

/**
 * `strategy − baseline` success (0–1) per seed, on the same tasks: the mean
 * difference, its 95% interval (clipped to [−1, 1]) and the seeds won (difference
 * > 0), lost (< 0) and tied.
 */
export const PairedComparisonSchema = z
  .object({ strategy: StrategyNameSchema, baseline: StrategyNameSchema, ...PairedDifferenceSchema.shape })
  .strict();
export type PairedComparison = z.infer<typeof PairedComparisonSchema>;

export const DriftSchema = z
  .object({ at: count, change: z.string(), kinds: z.array(z.string()), users: z.array(z.string()).optional() })
  .strict();

export const MultiSeedEnvironmentSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    drifts: z.array(DriftSchema),
    strategies: z.array(MultiSeedStrategySchema),
    paired: z.array(PairedComparisonSchema),
  })
  .strict();
export type MultiSeedEnvironment = z.infer<typeof MultiSeedEnvironmentSchema>;

/** `results.json` (schema version 2): every seed of one `pnpm bench` run, and the statistics over them. */
export const MultiSeedResultsSchema = z
  .object({
    schemaVersion: z.literal(2),
    generated: z.literal(GENERATED_BY_BENCH),
    mode: z.enum(["sim", "openai"]),
    seeds: z.array(z.number().int()).min(1),
    episodes: count,
    /** The run's settings, the same for every seed (the seed itself aside). */
    parameters: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
    startedAt: z.string(),
    wallMs: z.number().nonnegative(),
    /** Seeds that ran at once, each in its own process. */
    jobs: count,
    machine: z.object({ cpus: count, node: z.string(), platform: z.string() }).strict(),
    environments: z.array(MultiSeedEnvironmentSchema),
  })
  .strict()
  .superRefine((results, context) => {
    results.environments.forEach((environment, at) =>
      environment.strategies.forEach((strategy, index) => {
        const seeds = strategy.seeds.map((run) => run.seed);
        if (seeds.join(",") !== results.seeds.join(",")) {
          context.addIssue({
            code: "custom",
            path: ["environments", at, "strategies", index, "seeds"],
            message: `holds seeds ${seeds.join(",")}, not the run's ${results.seeds.join(",")}`,
          });
        }
      }),
    );
  });
export type MultiSeedResults = z.infer<typeof MultiSeedResultsSchema>;

const rate = z.number().min(0).max(1);
const difference = z.number().min(-1).max(1);

const SummaryPairSchema = z
  .object({ mean: difference, ci95: z.tuple([difference, difference]), seedsWon: count })
  .strict();

/** The paired comparisons `summary.json` carries, as `<strategy>-<baseline>`. */
export const SUMMARY_PAIRS = [
  ["lessonloop", "unvalidated"],
  ["lessonloop", "static"],
  // The examples ablation, against lessons only.
  ["lessonloop-examples", "lessonloop"],
  ["examples-only", "lessonloop"],
] as const;

/**
 * `summary.json`: the headline figures per world and strategy, for machines.
 * Success as fractions (0–1); counts summed over seeds.
 */
export const BenchSummarySchema = z
  .object({
    schemaVersion: z.literal(1),
    mode: z.enum(["sim", "openai"]),
    seeds: z.array(z.number().int()).min(1),
    worlds: z.record(
      z.string(),
      z
        .object({
          strategies: z.partialRecord(
            StrategyNameSchema,
            z
              .object({
                successMean: rate,
                successCi95: z.tuple([rate, rate]),
                callsPerEpisode: z.number().nonnegative(),
                tokensPerEpisode: z.number().nonnegative(),
                /** Applicable lessons served / applicable, pooled over episodes and seeds (strategies that retrieve lessons only). */
                servedRecall: rate.nullable().optional(),
                /** Tokens of lessons in the agent's prompt per model step: the benchmark's agent reads one retrieval per task. */
                lessonTokensPerStep: z.number().nonnegative().optional(),
                merged: count,
                wrongMerged: count,
                regressions: count,
                rollbacks: count,
              })
              .strict(),
          ),
          paired: z
            .object({
              "lessonloop-unvalidated": SummaryPairSchema.optional(),
              "lessonloop-static": SummaryPairSchema.optional(),
              "lessonloop-examples-lessonloop": SummaryPairSchema.optional(),
              "examples-only-lessonloop": SummaryPairSchema.optional(),
            })
            .strict(),
        })
        .strict(),
    ),
  })
  .strict();
export type BenchSummary = z.infer<typeof BenchSummarySchema>;
