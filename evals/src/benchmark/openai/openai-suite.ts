import { LessonloopError } from "@lessonloop/core";
import { parseWith } from "@lessonloop/core/internal";
import type { World } from "../environments/world.js";
import type { ModelSuite, ValidatorSpec } from "../harness/model-suite.js";
import { addUsage } from "../harness/agent.js";
import { createChatModel } from "./chat-openai-model.js";
import { createOpenAiReflector } from "./openai-reflector.js";
import { OpenAiSuiteConfigSchema, type OpenAiModelConfig, type OpenAiSuiteConfigInput } from "./openai-suite-config.js";
import { createToolCallingAgent } from "./tool-calling-agent.js";
import { UsageMeter } from "./usage-meter.js";

/** The `openai` suite's params: one model a role on OpenAI-compatible endpoints (see `OpenAiSuiteConfigSchema`). */
export type OpenAiSuiteParams = OpenAiSuiteConfigInput;

/** An endpoint for the printed parameters: no credentials, query or fragment. */
function printableUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname.replace(/\/$/, "")}`;
}

/** A model with the sampling settings it sends; a temperature left unset is the server's default. */
function describeModel({ model, temperature, seed }: OpenAiModelConfig): string {
  const sampling = [temperature === undefined ? "t=server default" : `t=${temperature}`, ...(seed === undefined ? [] : [`seed=${seed}`])];
  return `${model} (${sampling.join(", ")})`;
}

const distinct = (values: readonly string[]) => [...new Set(values)].join(", ");

/**
 * Every model of a benchmark run as a real `ChatOpenAI` on an
 * OpenAI-compatible endpoint: the agent (a tool-calling loop), the learner,
 * the critic's judge and the peer validators (each replays cases with its
 * own model as the agent). `parameters` names the models, endpoints and
 * settings — never a key.
 *
 * @throws LessonloopError `invalid_input` naming each bad param.
 */
export function createOpenAiSuite(params: OpenAiSuiteParams): ModelSuite {
  const config = parseWith(OpenAiSuiteConfigSchema, params, "openai suite params");
  const { structuredOutput, timeoutMs, maxRetries, agentMaxSteps } = config;
  const model = (role: OpenAiModelConfig, callbacks?: UsageMeter[]) => createChatModel({ config: role, structuredOutput, timeoutMs, maxRetries, callbacks });

  const learnerMeter = new UsageMeter();
  const criticMeter = new UsageMeter();
  const learnerModel = model(config.learner, [learnerMeter]);
  const criticModel = config.critic === null ? null : model(config.critic, [criticMeter]);
  const validators: ValidatorSpec[] = config.validators.map((validator, index) => ({ id: `validator-${index + 1}`, model: model(validator), errorRate: 0 }));
  // The agent's model is stateless between calls: one instance serves every environment and the reflector.
  const agentModel = model(config.agent);

  const parameters: Record<string, number | string | boolean> = {
    agentModel: describeModel(config.agent),
    agentEndpoint: printableUrl(config.agent.baseURL),
    agentMaxSteps,
    learnerModel: describeModel(config.learner),
    learnerEndpoint: printableUrl(config.learner.baseURL),
    criticModel: config.critic === null ? "none (deterministic signals only)" : describeModel(config.critic),
    ...(config.critic === null ? {} : { criticEndpoint: printableUrl(config.critic.baseURL) }),
    validators: config.validators.length,
    validatorModels: config.validators.map(describeModel).join(", "),
    validatorEndpoints: distinct(config.validators.map((validator) => printableUrl(validator.baseURL))),
    structuredOutput,
    timeoutMs,
    maxRetries,
  };

  return {
    mode: "openai",
    parameters: Object.freeze(parameters),
    createAgent: (_environment: World) => createToolCallingAgent({ model: agentModel, maxSteps: agentMaxSteps }),
    createReplayAgent(_environment: World, validator: ValidatorSpec) {
      if (validator.model === undefined) {
        throw new LessonloopError("invalid_input", `Validator "${validator.id}" has no model: in openai mode every validator replays with its own model.`);
      }
      return createToolCallingAgent({ model: validator.model, maxSteps: agentMaxSteps });
    },
    learnerModel,
    criticModel,
    validators,
    reflector: createOpenAiReflector({ model: agentModel }),
    learningUsage: () => addUsage(learnerMeter.usage(), criticMeter.usage()),
  };
}
