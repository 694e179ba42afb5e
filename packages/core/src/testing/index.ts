export { createManualClock } from "./manual-clock.js";
export type { ManualClock } from "./manual-clock.js";
export { ScriptedChatModel } from "./scripted-chat-model.js";
export type {
  ScriptedAnswer,
  ScriptedCall,
  ScriptedCallOptions,
  ScriptedChatModelCallOptions,
  ScriptedChatModelParams,
  ScriptedMessage,
  ScriptedModelCall,
  ScriptedResponder,
  ScriptedTool,
  ScriptedToolCall,
  ScriptedUsage,
} from "./scripted-chat-model.js";
export { createSeededRandom } from "./seeded-random.js";
export type { SeededRandom } from "./seeded-random.js";
export { createSequentialIds } from "./sequential-ids.js";
export { rejectionOf } from "./rejection-of.js";
export { percentile } from "./percentile.js";
export { patchMemory } from "./patch-memory.js";
export { startOpenAiProtocolServer, messageText } from "./openai-protocol-server.js";
export type {
  ChatCompletionAnswer,
  ChatCompletionExchange,
  ChatCompletionMessage,
  ChatCompletionRequest,
  ChatCompletionResponder,
  ChatCompletionResponse,
  OpenAiProtocolServer,
  OpenAiProtocolServerParams,
} from "./openai-protocol-server.js";
