import { LessonloopError, parseWith } from "@lessonloop/core";
import { z } from "zod";

/**
 * How the learner, the critic and the validators ask for structured answers.
 * `functionCalling` (a forced tool call) works with most OpenAI-compatible
 * servers (vLLM, Ollama, llama.cpp); `jsonSchema` needs `response_format`
 * JSON-schema support; `jsonMode` only asks for JSON.
 */
export const StructuredOutputMethodSchema = z.enum(["functionCalling", "jsonMode", "jsonSchema"]);
export type StructuredOutputMethod = z.infer<typeof StructuredOutputMethodSchema>;

const HttpUrlSchema = z.url({ protocol: /^https?$/, error: "must be an http(s) URL such as http://127.0.0.1:8000/v1" });

/** One model on one OpenAI-compatible endpoint. */
export const OpenAiModelConfigSchema = z
  .object({
    /** The endpoint, e.g. `http://127.0.0.1:8000/v1` or `https://api.openai.com/v1`. */
    baseURL: HttpUrlSchema,
    /** The endpoint's API key (any non-empty text for a local server that checks none). */
    apiKey: z.string().min(1, "must not be empty (a local server accepts any text)"),
    /** The model name the endpoint serves. */
    model: z.string().trim().min(1, "must not be empty"),
    /** Sampling temperature. Default 0. */
    temperature: z.number().min(0).max(2).default(0),
    /** Sampling seed, for servers that honour it. */
    seed: z.number().int().optional(),
  })
  .strict();
export type OpenAiModelConfig = z.infer<typeof OpenAiModelConfigSchema>;
export type OpenAiModelConfigInput = z.input<typeof OpenAiModelConfigSchema>;

/** Every setting of the `openai` suite; `createOpenAiSuite` parses its params with it. */
export const OpenAiSuiteConfigSchema = z
  .object({
    /** The agent under test (and the reflection-buffer strategy's reflections). */
    agent: OpenAiModelConfigSchema,
    /** Proposes lessons and compares near-duplicates. */
    learner: OpenAiModelConfigSchema,
    /** The critic's judge, asked only when no deterministic signal decides; `null` for none. */
    critic: OpenAiModelConfigSchema.nullable(),
    /** The peer validators, in order; each replays cases with its own model. */
    validators: z.array(OpenAiModelConfigSchema).min(1, "needs at least one validator").max(16),
    /** How structured answers are asked for. Default `functionCalling`. */
    structuredOutput: StructuredOutputMethodSchema.default("functionCalling"),
    /** Longest one model request may take (ms). Default 60 000. */
    timeoutMs: z.number().int().min(100).max(3_600_000).default(60_000),
    /** Retries of a failed request (connection error, 429, 5xx) before the call fails. Default 2. */
    maxRetries: z.number().int().min(0).max(10).default(2),
    /** Model calls the agent may make on one task before it stops without an answer. Default 8. */
    agentMaxSteps: z.number().int().min(1).max(50).default(8),
  })
  .strict();
export type OpenAiSuiteConfig = z.infer<typeof OpenAiSuiteConfigSchema>;
export type OpenAiSuiteConfigInput = z.input<typeof OpenAiSuiteConfigSchema>;

/** What {@link independentValidators} needs. */
export interface IndependentValidatorsParams {
  /** The endpoint and key the peers share. */
  baseURL: string;
  apiKey: string;
  /** One model name a peer; a name listed once and `count` > 1 repeats it `count` times. */
  models: readonly string[];
  /** Peers when `models` names one model. Default 3. */
  count?: number;
}

/**
 * The peer validators as a list of models, made independent of each other: a
 * model that stands for several peers gets a different temperature per copy
 * (spread over 0.2–0.8), and every peer its own seed, so the copies do not
 * cast the same vote by construction. A model listed once alone keeps 0.
 */
export function independentValidators({ baseURL, apiKey, models, count = 3 }: IndependentValidatorsParams): OpenAiModelConfigInput[] {
  const names = models.length === 1 ? Array.from({ length: count }, () => models[0] as string) : [...models];
  const copies = new Map<string, number>();
  for (const name of names) copies.set(name, (copies.get(name) ?? 0) + 1);
  const seen = new Map<string, number>();
  return names.map((model, index) => {
    const total = copies.get(model) ?? 1;
    const nth = seen.get(model) ?? 0;
    seen.set(model, nth + 1);
    const temperature = total === 1 ? 0 : Math.round((0.2 + (0.6 * nth) / (total - 1)) * 100) / 100;
    return { baseURL, apiKey, model, temperature, seed: index + 1 };
  });
}

/** The environment variables, each optional here; which ones are needed is checked after. */
const EnvSchema = z.object({
  LESSONLOOP_OPENAI_BASE_URL: HttpUrlSchema.optional(),
  LESSONLOOP_OPENAI_API_KEY: z.string().optional(),
  LESSONLOOP_MODEL: z.string().optional(),
  LESSONLOOP_AGENT_MODEL: z.string().optional(),
  LESSONLOOP_LEARNER_MODEL: z.string().optional(),
  LESSONLOOP_CRITIC_MODEL: z.string().optional(),
  LESSONLOOP_VALIDATOR_MODELS: z
    .string()
    .transform((text) => text.split(",").map((name) => name.trim()))
    .refine((names) => names.every((name) => name !== ""), "must be model names separated by commas, none empty")
    .optional(),
  LESSONLOOP_VALIDATOR_COUNT: z.coerce.number({ error: "must be a whole number" }).int("must be a whole number").min(1).max(16).optional(),
  LESSONLOOP_AGENT_BASE_URL: HttpUrlSchema.optional(),
  LESSONLOOP_LEARNER_BASE_URL: HttpUrlSchema.optional(),
  LESSONLOOP_CRITIC_BASE_URL: HttpUrlSchema.optional(),
  LESSONLOOP_VALIDATOR_BASE_URL: HttpUrlSchema.optional(),
  LESSONLOOP_AGENT_API_KEY: z.string().optional(),
  LESSONLOOP_LEARNER_API_KEY: z.string().optional(),
  LESSONLOOP_CRITIC_API_KEY: z.string().optional(),
  LESSONLOOP_VALIDATOR_API_KEY: z.string().optional(),
  LESSONLOOP_STRUCTURED_OUTPUT: StructuredOutputMethodSchema.optional(),
  LESSONLOOP_OPENAI_TIMEOUT_MS: z.coerce.number({ error: "must be a number of milliseconds" }).int().min(100).max(3_600_000).optional(),
});
type EnvName = keyof typeof EnvSchema.shape;
const ENV_NAMES = Object.keys(EnvSchema.shape) as EnvName[];

const ROLES = ["AGENT", "LEARNER", "CRITIC", "VALIDATOR"] as const;
type Role = (typeof ROLES)[number];

/**
 * The `openai` suite's settings from environment variables — the only place
 * the suite reads them. An empty variable counts as unset.
 *
 * | variable | |
 * |---|---|
 * | `LESSONLOOP_OPENAI_BASE_URL` | the OpenAI-compatible endpoint of every role, e.g. `http://127.0.0.1:8000/v1` |
 * | `LESSONLOOP_OPENAI_API_KEY` | its API key (any text for a local server) |
 * | `LESSONLOOP_MODEL` | the model of every role |
 * | `LESSONLOOP_AGENT_MODEL`, `LESSONLOOP_LEARNER_MODEL`, `LESSONLOOP_CRITIC_MODEL` | one role's model; `LESSONLOOP_CRITIC_MODEL=none` for no judge |
 * | `LESSONLOOP_VALIDATOR_MODELS` | the peers' models, comma-separated; one name is repeated `LESSONLOOP_VALIDATOR_COUNT` times (default 3) at different temperatures |
 * | `LESSONLOOP_{AGENT,LEARNER,CRITIC,VALIDATOR}_BASE_URL`, `…_API_KEY` | one role on another endpoint (a vLLM server serves one model) |
 * | `LESSONLOOP_STRUCTURED_OUTPUT` | `functionCalling` (default), `jsonMode` or `jsonSchema` |
 * | `LESSONLOOP_OPENAI_TIMEOUT_MS` | longest request, default 60 000 |
 *
 * @param env The process environment (`process.env`), or any map of variables.
 * @throws LessonloopError `invalid_input` naming every variable to set or fix.
 */
export function openAiSuiteConfigFromEnv(env: NodeJS.ProcessEnv): OpenAiSuiteConfigInput {
  const raw = Object.fromEntries(ENV_NAMES.map((name) => [name, env[name]?.trim() || undefined]));
  const vars = parseWith(EnvSchema, raw, "OpenAI settings from the environment");
  const problems: string[] = [];
  // A setting every role lacks is named once, with the per-role variables that would also do.
  const missing = new Map<string, { what: string; roleVariables: string[] }>();
  const lack = (shared: string, roleVariable: string, what: string) => {
    const entry = missing.get(shared) ?? { what, roleVariables: [] };
    entry.roleVariables.push(roleVariable);
    missing.set(shared, entry);
  };

  const endpoint = (role: Role): { baseURL: string; apiKey: string } | undefined => {
    const baseURL = vars[`LESSONLOOP_${role}_BASE_URL`] ?? vars.LESSONLOOP_OPENAI_BASE_URL;
    const apiKey = vars[`LESSONLOOP_${role}_API_KEY`] ?? vars.LESSONLOOP_OPENAI_API_KEY;
    if (baseURL === undefined) lack("LESSONLOOP_OPENAI_BASE_URL", `LESSONLOOP_${role}_BASE_URL`, "to the OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1");
    if (apiKey === undefined) lack("LESSONLOOP_OPENAI_API_KEY", `LESSONLOOP_${role}_API_KEY`, "to the endpoint's API key — any text for a local server that checks none");
    return baseURL === undefined || apiKey === undefined ? undefined : { baseURL, apiKey };
  };
  const modelOf = (role: Role, override: string | undefined): string | undefined => {
    const model = override ?? vars.LESSONLOOP_MODEL;
    if (model === undefined) lack("LESSONLOOP_MODEL", `LESSONLOOP_${role}_MODEL${role === "VALIDATOR" ? "S" : ""}`, "to the model name the endpoint serves");
    return model;
  };
  const resolve = (role: Role, override: string | undefined): OpenAiModelConfigInput | undefined => {
    const where = endpoint(role);
    const model = modelOf(role, override);
    return where === undefined || model === undefined ? undefined : { ...where, model };
  };

  const agent = resolve("AGENT", vars.LESSONLOOP_AGENT_MODEL);
  const learner = resolve("LEARNER", vars.LESSONLOOP_LEARNER_MODEL);
  const noJudge = vars.LESSONLOOP_CRITIC_MODEL?.toLowerCase() === "none";
  const critic = noJudge ? null : resolve("CRITIC", vars.LESSONLOOP_CRITIC_MODEL);
  const validatorModels = vars.LESSONLOOP_VALIDATOR_MODELS ?? (vars.LESSONLOOP_MODEL === undefined ? undefined : [vars.LESSONLOOP_MODEL]);
  if (validatorModels === undefined) modelOf("VALIDATOR", undefined);
  if (validatorModels !== undefined && validatorModels.length > 1 && vars.LESSONLOOP_VALIDATOR_COUNT !== undefined)
    problems.push("LESSONLOOP_VALIDATOR_COUNT applies only when LESSONLOOP_VALIDATOR_MODELS names one model: unset one of the two");
  const validatorEndpoint = endpoint("VALIDATOR");

  const unique = [
    ...[...missing].map(([shared, { what, roleVariables }]) => `set ${shared} (or ${[...new Set(roleVariables)].join(", ")}) ${what}`),
    ...new Set(problems),
  ];
  if (unique.length > 0 || agent === undefined || learner === undefined || critic === undefined || validatorModels === undefined || validatorEndpoint === undefined) {
    throw new LessonloopError("invalid_input", `The openai benchmark mode is not configured: ${unique.join("; ")}.`, { details: { problems: unique } });
  }
  return {
    agent,
    learner,
    critic,
    validators: independentValidators({
      ...validatorEndpoint,
      models: validatorModels,
      ...(vars.LESSONLOOP_VALIDATOR_COUNT === undefined ? {} : { count: vars.LESSONLOOP_VALIDATOR_COUNT }),
    }),
    ...(vars.LESSONLOOP_STRUCTURED_OUTPUT === undefined ? {} : { structuredOutput: vars.LESSONLOOP_STRUCTURED_OUTPUT }),
    ...(vars.LESSONLOOP_OPENAI_TIMEOUT_MS === undefined ? {} : { timeoutMs: vars.LESSONLOOP_OPENAI_TIMEOUT_MS }),
  };
}
