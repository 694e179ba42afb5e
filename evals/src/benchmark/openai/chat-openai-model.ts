import type { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { BaseLanguageModelInput, StructuredOutputMethodOptions } from "@langchain/core/language_models/base";
import type { BaseMessage } from "@langchain/core/messages";
import type { Runnable } from "@langchain/core/runnables";
import type { SerializableSchema } from "@langchain/core/utils/standard_schema";
import type { InteropZodType } from "@langchain/core/utils/types";
import { ChatOpenAI, type ChatOpenAIFields } from "@langchain/openai";
import type { OpenAiModelConfig, StructuredOutputMethod } from "./openai-suite-config.js";

type StructuredSchema<RunOutput extends Record<string, unknown>> = InteropZodType<RunOutput> | SerializableSchema<RunOutput> | Record<string, unknown>;

/**
 * `ChatOpenAI` whose `withStructuredOutput` uses a chosen method unless the
 * caller names one. The library's own default for most model names is
 * `json_schema`, which many OpenAI-compatible servers reject; lessonloop's
 * nodes call `withStructuredOutput` without a method, so the choice is made here.
 */
export class PortableChatOpenAI extends ChatOpenAI {
  constructor(
    fields: ChatOpenAIFields,
    /** The structured-output method used when a caller names none. */
    readonly structuredOutputMethod: StructuredOutputMethod,
  ) {
    super(fields);
  }

  override withStructuredOutput<RunOutput extends Record<string, unknown> = Record<string, unknown>>(
    outputSchema: StructuredSchema<RunOutput>,
    config?: StructuredOutputMethodOptions<false>,
  ): Runnable<BaseLanguageModelInput, RunOutput>;
  override withStructuredOutput<RunOutput extends Record<string, unknown> = Record<string, unknown>>(
    outputSchema: StructuredSchema<RunOutput>,
    config?: StructuredOutputMethodOptions<true>,
  ): Runnable<BaseLanguageModelInput, { raw: BaseMessage; parsed: RunOutput }>;
  override withStructuredOutput<RunOutput extends Record<string, unknown> = Record<string, unknown>>(
    outputSchema: StructuredSchema<RunOutput>,
    config?: StructuredOutputMethodOptions<boolean>,
  ): Runnable<BaseLanguageModelInput, RunOutput> | Runnable<BaseLanguageModelInput, { raw: BaseMessage; parsed: RunOutput }> {
    return super.withStructuredOutput<RunOutput>(outputSchema, { ...config, method: config?.method ?? this.structuredOutputMethod });
  }
}

/** What {@link createChatModel} needs. */
export interface ChatModelParams {
  /** Endpoint, key, model name, temperature (sent only when set) and seed. */
  config: OpenAiModelConfig;
  structuredOutput: StructuredOutputMethod;
  /** Longest one request may take (ms). */
  timeoutMs: number;
  /** Retries of a failed request before the call fails. */
  maxRetries: number;
  /** Handlers told about every call of this model (usage metering). */
  callbacks?: BaseCallbackHandler[];
}

/** One role's chat model on its OpenAI-compatible endpoint. */
export function createChatModel({ config, structuredOutput, timeoutMs, maxRetries, callbacks = [] }: ChatModelParams): PortableChatOpenAI {
  const { baseURL, apiKey, model, temperature, seed } = config;
  return new PortableChatOpenAI(
    {
      model,
      apiKey,
      configuration: { baseURL },
      // Unset means not sent: reasoning models reject any temperature.
      ...(temperature === undefined ? {} : { temperature }),
      // The `seed` field of ChatOpenAI is read only as a call option; as a model kwarg it goes in every request.
      ...(seed === undefined ? {} : { modelKwargs: { seed } }),
      timeout: timeoutMs,
      maxRetries,
      ...(callbacks.length === 0 ? {} : { callbacks }),
    },
    structuredOutput,
  );
}
