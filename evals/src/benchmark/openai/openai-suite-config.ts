import { LessonloopError } from "@lessonloop/core";
import { parseWith } from "@lessonloop/core/internal";
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

const TEMPERATURE_RANGE = "must be from 0 to 2";

/** One model on one OpenAI-compatible endpoint. */
export const OpenAiModelConfigSchema = z
  .object({
    /** The endpoint, e.g. `http://127.0.0.1:8000/v1` or `https://api.openai.com/v1`. */
    baseURL: HttpUrlSchema,
    /** The endpoint's API key (any non-empty text for a local server that checks none). */
    apiKey: z.string().min(1, "must not be empty (a local server accepts any text)"),
    /** The model name the endpoint serves. */
    model: z.string().trim().min(1, "must not be empty"),
    /**
     * Sampling temperature. Unset, none is sent and the server's default
     * applies: reasoning models (o-series, gpt-5) reject the parameter.
     */
    temperature: z.number().min(0, TEMPERATURE_RANGE).max(2, TEMPERATURE_RANGE).optional(),
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
  /**
   * One sampling temperature a peer, in order; copies of one model need
   * different ones. Unset, no peer sends a temperature.
   */
  temperatures?: readonly number[];
}

/** The model of each peer, in order: a model named alone stands for `count` peers. */
function peerModels(models: readonly string[], count: number): string[] {
  return models.length === 1 ? Array.from({ length: count }, () => models[0] as string) : [...models];
}

/** Copies of one model given one temperature (they would sample alike), if any. */
function copiesAtOneTemperature(models: readonly string[], temperatures: readonly number[]): { model: string; temperature: number; peers: string[] } | undefined {
  const seen = new Map<string, number[]>();
  for (const [index, model] of models.entries()) {
    const key = JSON.stringify([model, temperatures[index]]);
    seen.set(key, [...(seen.get(key) ?? []), index]);
  }
  for (const indexes of seen.values()) {
    const [first] = indexes;
    if (indexes.length > 1 && first !== undefined) {
      return { model: models[first] as string, temperature: temperatures[first] as number, peers: indexes.map((index) => `validator-${index + 1}`) };
    }
  }
  return undefined;
}

/** Temperatures that tell `peers` apart, spread over 0.2–0.8, as a value to suggest. */
function spreadTemperatures(peers: number): string {
  return Array.from({ length: peers }, (_, index) => (peers === 1 ? 0.5 : Math.round((0.2 + (0.6 * index) / (peers - 1)) * 100) / 100)).join(",");
}

/**
 * The peer validators as a list of models, made independent of each other:
 * every peer gets its own seed, so copies of one model do not cast the same
 * vote by construction, and with `temperatures` copies of one model must
 * also sample at different temperatures.
 *
 * @throws LessonloopError `invalid_input` when `temperatures` does not give
 *   one temperature a peer, or gives copies of one model the same one.
 */
export function independentValidators({ baseURL, apiKey, models, count = 3, temperatures }: IndependentValidatorsParams): OpenAiModelConfigInput[] {
  const names = peerModels(models, count);
  if (temperatures !== undefined) {
    if (temperatures.length !== names.length) {
      throw new LessonloopError("invalid_input", `independentValidators got ${temperatures.length} temperatures for ${names.length} peers: give one a peer, in order.`);
    }
    const clash = copiesAtOneTemperature(names, temperatures);
    if (clash !== undefined) {
      throw new LessonloopError(
        "invalid_input",
        `independentValidators gives ${clash.peers.join(", ")} (copies of ${clash.model}) one temperature, ${clash.temperature}, so they would vote alike: give copies of one model different temperatures.`,
      );
    }
  }
  return names.map((model, index) => {
    const temperature = temperatures?.[index];
    return { baseURL, apiKey, model, temperature, seed: index + 1 };
  });
}

/** Plain decimal text from 0 to 2 (`Number()` alone would take `0x1`, `1e0` or `Infinity`). */
function isTemperatureText(text: string): boolean {
  return /^(\d+(\.\d*)?|\.\d+)$/.test(text) && Number(text) <= 2;
}
const TemperatureVariableSchema = z.string().refine(isTemperatureText, "must be a number from 0 to 2, e.g. 0.7").transform(Number);

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
  LESSONLOOP_TEMPERATURE: TemperatureVariableSchema.optional(),
  LESSONLOOP_AGENT_TEMPERATURE: TemperatureVariableSchema.optional(),
  LESSONLOOP_LEARNER_TEMPERATURE: TemperatureVariableSchema.optional(),
  LESSONLOOP_CRITIC_TEMPERATURE: TemperatureVariableSchema.optional(),
  LESSONLOOP_VALIDATOR_TEMPERATURES: z
    .string()
    .transform((text) => text.split(",").map((part) => part.trim()))
    .refine((parts) => parts.every(isTemperatureText), "must be numbers from 0 to 2 separated by commas, one a peer, e.g. 0.2,0.5,0.8")
    .transform((parts) => parts.map(Number))
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
 * | `LESSONLOOP_VALIDATOR_MODELS` | the peers' models, comma-separated; one name is repeated `LESSONLOOP_VALIDATOR_COUNT` times (default 3), each peer with its own seed |
 * | `LESSONLOOP_TEMPERATURE` | the sampling temperature of every role; unset, none is sent (reasoning models reject it) |
 * | `LESSONLOOP_AGENT_TEMPERATURE`, `LESSONLOOP_LEARNER_TEMPERATURE`, `LESSONLOOP_CRITIC_TEMPERATURE` | one role's temperature |
 * | `LESSONLOOP_VALIDATOR_TEMPERATURES` | the peers' temperatures, comma-separated, one a peer in order; copies of one model need different ones |
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
  const resolve = (role: Exclude<Role, "VALIDATOR">, override: string | undefined): OpenAiModelConfigInput | undefined => {
    const where = endpoint(role);
    const model = modelOf(role, override);
    const temperature = vars[`LESSONLOOP_${role}_TEMPERATURE`] ?? vars.LESSONLOOP_TEMPERATURE;
    return where === undefined || model === undefined ? undefined : { ...where, model, temperature };
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
  const validatorTemperatures = peerTemperatures(vars, validatorModels, problems);

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
      count: vars.LESSONLOOP_VALIDATOR_COUNT,
      temperatures: validatorTemperatures,
    }),
    structuredOutput: vars.LESSONLOOP_STRUCTURED_OUTPUT,
    timeoutMs: vars.LESSONLOOP_OPENAI_TIMEOUT_MS,
  };
}

/**
 * The peers' temperatures: `LESSONLOOP_VALIDATOR_TEMPERATURES`, else
 * `LESSONLOOP_TEMPERATURE` for every peer, else none. What is wrong with them
 * goes to `problems`, named by the variable to change.
 */
function peerTemperatures(vars: z.output<typeof EnvSchema>, validatorModels: readonly string[] | undefined, problems: string[]): number[] | undefined {
  const listed = vars.LESSONLOOP_VALIDATOR_TEMPERATURES;
  const shared = vars.LESSONLOOP_TEMPERATURE;
  if (validatorModels === undefined || (listed === undefined && shared === undefined)) return undefined;
  const peers = peerModels(validatorModels, vars.LESSONLOOP_VALIDATOR_COUNT ?? 3);
  if (listed !== undefined && listed.length !== peers.length) {
    problems.push(`LESSONLOOP_VALIDATOR_TEMPERATURES gives ${listed.length} temperatures for ${peers.length} peers (${peers.join(", ")}): give one a peer, in order`);
    return undefined;
  }
  const temperatures = listed ?? peers.map(() => shared as number);
  const clash = copiesAtOneTemperature(peers, temperatures);
  if (clash === undefined) return temperatures;
  const source = listed === undefined ? "LESSONLOOP_TEMPERATURE" : "LESSONLOOP_VALIDATOR_TEMPERATURES";
  problems.push(
    `${source} gives ${clash.peers.join(", ")} (copies of ${clash.model}) one temperature, ${clash.temperature}, so they would vote alike: ` +
      `set LESSONLOOP_VALIDATOR_TEMPERATURES to one temperature a peer, different for copies of one model, e.g. ${spreadTemperatures(peers.length)}`,
  );
  return undefined;
}
