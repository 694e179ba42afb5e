export { createOpenAiSuite } from "./openai-suite.js";
export type { OpenAiSuiteParams } from "./openai-suite.js";
export {
  OpenAiModelConfigSchema,
  OpenAiSuiteConfigSchema,
  StructuredOutputMethodSchema,
  independentValidators,
  openAiSuiteConfigFromEnv,
} from "./openai-suite-config.js";
export type {
  IndependentValidatorsParams,
  OpenAiModelConfig,
  OpenAiModelConfigInput,
  OpenAiSuiteConfig,
  OpenAiSuiteConfigInput,
  StructuredOutputMethod,
} from "./openai-suite-config.js";
export { createToolCallingAgent, DEFAULT_AGENT_DESCRIPTION, agentSystemPrompt, toolDefinition } from "./tool-calling-agent.js";
export type { ToolCallingAgentParams } from "./tool-calling-agent.js";
export { createOpenAiReflector, DEFAULT_REFLECTION_PROMPT } from "./openai-reflector.js";
export type { OpenAiReflectorParams } from "./openai-reflector.js";
