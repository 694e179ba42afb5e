import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { LLMResult } from "@langchain/core/outputs";
import { z } from "zod";

/** Model calls and tokens spent on something (a replay, a lesson's validation, a learning episode). */
export const ModelUsageSchema = z
  .object({
    calls: z.number().int().min(0),
    promptTokens: z.number().int().min(0),
    completionTokens: z.number().int().min(0),
  })
  .strict();
export type ModelUsage = z.infer<typeof ModelUsageSchema>;

export const NO_MODEL_USAGE: ModelUsage = Object.freeze({ calls: 0, promptTokens: 0, completionTokens: 0 });

/** The sum of two usages. */
export function addModelUsage(a: ModelUsage, b: ModelUsage): ModelUsage {
  return { calls: a.calls + b.calls, promptTokens: a.promptTokens + b.promptTokens, completionTokens: a.completionTokens + b.completionTokens };
}

/** A usage's tokens, prompt and completion together. */
export function totalTokens(usage: ModelUsage): number {
  return usage.promptTokens + usage.completionTokens;
}

/** The token counts a chat model reported for one call: the message's `usage_metadata`, else the provider's `tokenUsage`. */
function tokensOf(output: LLMResult): { promptTokens: number; completionTokens: number } {
  const generation = output.generations[0]?.[0] as { message?: { usage_metadata?: { input_tokens?: number; output_tokens?: number } } } | undefined;
  const metadata = generation?.message?.usage_metadata;
  if (metadata !== undefined) return { promptTokens: metadata.input_tokens ?? 0, completionTokens: metadata.output_tokens ?? 0 };
  const reported = (output.llmOutput as { tokenUsage?: { promptTokens?: number; completionTokens?: number } } | undefined)?.tokenUsage;
  return { promptTokens: reported?.promptTokens ?? 0, completionTokens: reported?.completionTokens ?? 0 };
}

/**
 * Counts the chat model calls made under a LangChain run and the tokens they
 * reported: pass `meter.handler` in the `callbacks` of an invoke's config,
 * read `meter.usage()` after. A call that reports no tokens still counts as a call.
 */
export interface ModelUsageMeter {
  /** Pass it in the `callbacks` of an invoke's config. */
  handler: BaseCallbackHandler;
  /** What the calls seen so far spent. */
  usage(): ModelUsage;
}

export function createModelUsageMeter(): ModelUsageMeter {
  let usage: ModelUsage = NO_MODEL_USAGE;
  class ModelUsageHandler extends BaseCallbackHandler {
    name = "lessonloop_model_usage";
    // Counted before the call returns, so usage() read right after a run is complete.
    override awaitHandlers = true;
    override handleLLMEnd(output: LLMResult): void {
      usage = addModelUsage(usage, { calls: 1, ...tokensOf(output) });
    }
  }
  return { handler: new ModelUsageHandler(), usage: (): ModelUsage => usage };
}
