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
