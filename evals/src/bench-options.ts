import { parseArgs } from "node:util";
import { LessonloopError, parseWith } from "@lessonloop/core";
import { z } from "zod";
import { StrategyNameSchema } from "./harness/results.js";

const ENVIRONMENT_NAMES = ["api-drift", "user-preferences", "policy-shift", "poisoned-feedback"] as const;

const commaList = z.string().transform((text) => text.split(",").map((part) => part.trim()).filter((part) => part !== ""));

const BenchOptionsSchema = z
  .object({
    mode: z.enum(["sim", "openai"]).default("sim"),
    seed: z.coerce.number().int("must be a whole number").default(1),
    episodes: z.coerce.number().int("must be a whole number").min(10, "must be at least 10").max(5_000).default(120),
    environments: commaList.pipe(z.array(z.enum(ENVIRONMENT_NAMES)).min(1, "name at least one")).default([...ENVIRONMENT_NAMES]),
    strategies: commaList.pipe(z.array(StrategyNameSchema).min(1, "name at least one")).default([...StrategyNameSchema.options]),
    probes: z.coerce.number().int("must be a whole number").min(0).max(100).default(10),
    out: z.string().min(1).default("results"),
  })
  .strict();
export type BenchOptions = z.infer<typeof BenchOptionsSchema>;

export const BENCH_USAGE = `Usage: pnpm bench [-- options]
  --mode sim|openai        simulated models (default, offline) or an OpenAI-compatible endpoint
  --seed N                 seed of the task streams and simulated models (default 1)
  --episodes N             tasks per environment (default 120)
  --env a,b                environments: ${ENVIRONMENT_NAMES.join(", ")} (default all)
  --strategies a,b         strategies: ${StrategyNameSchema.options.join(", ")} (default all)
  --probes N               probe tasks replayed around each merge to find regressions (default 10)
  --out DIR                where results.json and report.html go (default evals/results)`;

/** Parses `pnpm bench` arguments; a bad one is an `invalid_input` error naming the option. */
export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv.filter((arg) => arg !== "--"),
      options: {
        mode: { type: "string" },
        seed: { type: "string" },
        episodes: { type: "string" },
        env: { type: "string" },
        strategies: { type: "string" },
        probes: { type: "string" },
        out: { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new LessonloopError("invalid_input", `${error instanceof Error ? error.message : String(error)}\n${BENCH_USAGE}`, { cause: error });
  }
  const { env, ...rest } = values;
  const given = Object.fromEntries(Object.entries({ ...rest, environments: env }).filter(([, value]) => value !== undefined));
  return parseWith(BenchOptionsSchema, given, "pnpm bench options");
}
