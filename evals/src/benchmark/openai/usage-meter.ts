import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { AIMessage } from "@langchain/core/messages";
import type { LLMResult } from "@langchain/core/outputs";
import { z } from "zod";
import { addUsage, NO_USAGE, type ModelUsage } from "../harness/agent.js";

const TokenCount = z.number().int().min(0).catch(0);
/** The standard usage of a message (`usage_metadata`); missing or odd counts are 0. */
const UsageMetadataSchema = z.object({ input_tokens: TokenCount, output_tokens: TokenCount });
/** The older per-call usage LangChain OpenAI models report in `llmOutput`. */
const TokenUsageSchema = z.object({ promptTokens: TokenCount, completionTokens: TokenCount });

/** The usage one model response reports: one call, and its tokens when the server sent them. */
export function usageOfMessage(message: Pick<AIMessage, "usage_metadata">): ModelUsage {
  const usage = UsageMetadataSchema.safeParse(message.usage_metadata);
  return { calls: 1, promptTokens: usage.success ? usage.data.input_tokens : 0, completionTokens: usage.success ? usage.data.output_tokens : 0 };
}

function usageOfResult(output: LLMResult): ModelUsage {
  const generation = output.generations[0]?.[0] as { message?: Pick<AIMessage, "usage_metadata"> } | undefined;
  if (generation?.message?.usage_metadata !== undefined) return usageOfMessage(generation.message);
  const legacy = TokenUsageSchema.safeParse(output.llmOutput?.["tokenUsage"]);
  return { calls: 1, promptTokens: legacy.success ? legacy.data.promptTokens : 0, completionTokens: legacy.success ? legacy.data.completionTokens : 0 };
}

/**
 * Counts the calls and tokens of every model it is attached to (as a
 * constructor callback), including calls made inside LangGraph nodes and
 * through `withStructuredOutput`. A failed call counts as a call without tokens.
 */
export class UsageMeter extends BaseCallbackHandler {
  name = "usage_meter";
  // Counted before the call returns, so a reading right after `learn()` is complete.
  override awaitHandlers = true;
  private total: ModelUsage = NO_USAGE;

  override handleLLMEnd(output: LLMResult): void {
    this.total = addUsage(this.total, usageOfResult(output));
  }

  override handleLLMError(): void {
    this.total = addUsage(this.total, { calls: 1, promptTokens: 0, completionTokens: 0 });
  }

  /** Calls and tokens so far. */
  usage(): ModelUsage {
    return { ...this.total };
  }
}
