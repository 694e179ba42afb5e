import { z } from "zod";

/** The strategies compared on the same task stream. */
/**
 * The strategies compared on the same task stream. `lessonloop` serves
 * lessons only; `lessonloop-examples` serves lessons and worked examples
 * (successful runs the loop kept) within the same token budget, and
 * `examples-only` examples alone: the ablation of experience replay.
 */
const count = z.number().int().nonnegative();

export const StrategyNameSchema = z.enum(["static", "reflection", "unvalidated", "lessonloop", "oracle", "lessonloop-examples", "examples-only"]);
export type StrategyName = z.infer<typeof StrategyNameSchema>;

/** What `pnpm bench` runs when no strategy is named: the examples ablation is asked for by name. */
export const DEFAULT_STRATEGIES = ["static", "reflection", "unvalidated", "lessonloop", "oracle"] as const satisfies readonly StrategyName[];
export type DefaultStrategyName = (typeof DEFAULT_STRATEGIES)[number];

/**
 * Worked examples served to one episode: how many, how many of them were
 * stale-served (recorded before a drift that touched their task kind, and its
 * users where it names them, served after it: graded by the harness from the
 * drift schedule, never shown to the strategy), and the tokens the lessons and
 * the examples took of the context.
 */
export const ServedExamplesSchema = z
  .object({ served: count, staleServed: count, lessonTokens: count, exampleTokens: count })
  .strict();
export type ServedExamples = z.infer<typeof ServedExamplesSchema>;

export const UsageSchema = z.object({ calls: count, promptTokens: count, completionTokens: count }).strict();

/** One episode of one strategy: what happened on task `index` of the stream. */
export const EpisodeRecordSchema = z
  .object({
    index: count,
    taskId: z.string(),
    kind: z.string(),
    /** The user who asked, where users differ: a drift that affects only some users is measured on theirs. */
    user: z.string().optional(),
    passed: z.boolean(),
    /** Ground-truth reason (for the report's drill-down). */
    reason: z.string(),
    /** The agent's model calls and tokens on the task itself. */
    agent: UsageSchema,
    /** Model calls and tokens the strategy spent learning from this episode (critic, learner, validators). */
    learning: UsageSchema,
    /** Prompt tokens the strategy's context (lessons, reflections, rules) added to the agent's prompt. */
    contextTokens: count,
    /** Lessons (or reflections) live after the episode was learned from. */
    memorySize: count,
    /** Memory version after the episode (0 for strategies without versioned memory). */
    memoryVersion: count,
    /**
     * Served recall of the episode, for strategies that retrieve lessons: the live
     * lessons in the task's scope that state a rule the task touches (graded by the
     * world, never shown to the strategy), and how many of them were served.
     */
    recall: z.object({ applicable: count, served: count }).strict().optional(),
    /** Examples served, for strategies that can serve them (absent in results written before they were measured). */
    examples: ServedExamplesSchema.optional(),
  })
  .strict();
export type EpisodeRecord = z.infer<typeof EpisodeRecordSchema>;

/** A lesson some strategy proposed, and what became of it. */
export const LessonEventSchema = z
  .object({
    /** The episode index it was learned from. */
    at: count,
    lessonId: z.string(),
    text: z.string(),
    scope: z.string(),
    /** Graded against the world at `at` (metrics only). */
    grade: z.enum(["correct", "incorrect"]),
    outcome: z.enum(["merged", "rejected", "parked"]),
    /** The votes, e.g. `2-1`, for validated strategies. */
    votes: z.string().optional(),
  })
  .strict();
export type LessonEvent = z.infer<typeof LessonEventSchema>;

export const RollbackEventSchema = z
  .object({ at: count, fromVersion: count, toVersion: count, reason: z.string() })
  .strict();
export type RollbackEvent = z.infer<typeof RollbackEventSchema>;

/**
 * A probe task that passed before a merge and fails after it, both replayed
 * against the world at the merge's episode with the memory before and after.
 */
export const RegressionEventSchema = z
  .object({ at: count, lessonId: z.string(), probeTaskId: z.string(), reason: z.string() })
  .strict();
export type RegressionEvent = z.infer<typeof RegressionEventSchema>;

/**
 * Adaptation after one drift: affected episodes until success recovered (`null`: not within the
 * stream). `affectedEpisodes` is the size of the drift's window, so a report can tell "never
 * recovered" from "too few episodes after the drift to tell" (definition in `metrics.ts`).
 */
export const AdaptationSchema = z
  .object({ driftAt: count, change: z.string(), episodesToRecover: count.nullable(), affectedEpisodes: count })
  .strict();
export type Adaptation = z.infer<typeof AdaptationSchema>;

export const StrategySummarySchema = z
  .object({
    successRate: z.number().min(0).max(1),
    adaptation: z.array(AdaptationSchema),
    regressions: count,
    lessonsMerged: count,
    badLessonsMerged: count,
    lessonsRejected: count,
    badLessonsRejected: count,
    rollbacks: count,
    modelCallsPerEpisode: z.number().nonnegative(),
    tokensPerEpisode: z.number().nonnegative(),
    contextTokensPerEpisode: z.number().nonnegative(),
    /**
     * Over the stream: lessons that applied to an episode's task and were live, and
     * those of them served (summed over episodes); absent for strategies that do
     * not retrieve (and in results written before it was measured).
     */
    recall: z.object({ applicable: count, served: count }).strict().optional(),
    /**
     * Over the stream, for strategies that can serve examples: examples served
     * and stale-served (summed over episodes), and the lessons' and examples'
     * tokens in the context per episode (the agent reads one retrieval per task
     * and sends it with every model step).
     */
    examples: z
      .object({ served: count, staleServed: count, lessonTokensPerEpisode: z.number().nonnegative(), exampleTokensPerEpisode: z.number().nonnegative() })
      .strict()
      .optional(),
    finalMemorySize: count,
    wallMs: z.number().nonnegative(),
  })
  .strict();
export type StrategySummary = z.infer<typeof StrategySummarySchema>;

export const StrategyResultSchema = z
  .object({
    strategy: StrategyNameSchema,
    episodes: z.array(EpisodeRecordSchema),
    lessons: z.array(LessonEventSchema),
    rollbacks: z.array(RollbackEventSchema),
    regressions: z.array(RegressionEventSchema),
    summary: StrategySummarySchema,
  })
  .strict();
export type StrategyResult = z.infer<typeof StrategyResultSchema>;

export const EnvironmentResultSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    drifts: z.array(
      z
        .object({ at: count, change: z.string(), kinds: z.array(z.string()), users: z.array(z.string()).optional() })
        .strict(),
    ),
    strategies: z.array(StrategyResultSchema),
  })
  .strict();
export type EnvironmentResult = z.infer<typeof EnvironmentResultSchema>;

/** Everything one `pnpm bench` run measured: `results.json`, read back by the report. */
export const BenchmarkResultsSchema = z
  .object({
    schemaVersion: z.literal(1),
    mode: z.enum(["sim", "openai"]),
    seed: z.number().int(),
    episodes: count,
    /** Every rate and setting of the run (simulated error rates, validators, policy …), printed with the results. */
    parameters: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
    startedAt: z.string(),
    wallMs: z.number().nonnegative(),
    machine: z.object({ cpus: count, node: z.string(), platform: z.string() }).strict(),
    environments: z.array(EnvironmentResultSchema),
  })
  .strict();
export type BenchmarkResults = z.infer<typeof BenchmarkResultsSchema>;
