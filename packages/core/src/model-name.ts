import type { BaseChatModel } from "@langchain/core/language_models/chat_models";

/**
 * The name of the model a LangChain chat model calls, e.g. `gpt-4o-mini` for a
 * `ChatOpenAI` — what provenance and votes record. It is the name the model
 * reports for tracing (`getLsParams().ls_model_name`, which provider
 * integrations fill from their `model` field); a model that reports none is
 * named by its runnable name (`getName()`, usually its class).
 */
export function chatModelName(model: BaseChatModel): string {
  // Tracing params are the one public place every provider puts its model name; `getName()` is the class.
  const reported = model.getLsParams({}).ls_model_name;
  return typeof reported === "string" && reported.trim() !== "" ? reported.trim() : model.getName();
}
