import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import {
  isOpenAITool,
  type BaseLanguageModelInput,
  type StructuredOutputMethodOptions,
  type ToolDefinition,
} from "@langchain/core/language_models/base";
import {
  BaseChatModel,
  type BaseChatModelCallOptions,
  type BindToolsInput,
  type LangSmithParams,
  type ToolChoice,
} from "@langchain/core/language_models/chat_models";
import {
  assembleStructuredOutputPipeline,
  createFunctionCallingParser,
} from "@langchain/core/language_models/structured_output";
import { AIMessageChunk, type BaseMessage, type ToolCall } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import type { Runnable, RunnableConfig } from "@langchain/core/runnables";
import { convertToOpenAITool, isLangChainTool } from "@langchain/core/utils/function_calling";
import { toJsonSchema } from "@langchain/core/utils/json_schema";
import { isSerializableSchema, type SerializableSchema } from "@langchain/core/utils/standard_schema";
import { getSchemaDescription, isInteropZodSchema, type InteropZodType } from "@langchain/core/utils/types";

/** A tool call the scripted model should emit. */
export interface ScriptedToolCall {
  /** Name of a bound tool. */
  name: string;
  /** Arguments, as the tool's schema expects them. */
  args: Record<string, unknown>;
  /** Tool call id; `call_<n>` (n counting this model's tool calls from 1) when left out. */
  id?: string;
}

/** Token counts to report for one answer. */
export interface ScriptedUsage {
  /** Prompt tokens. */
  input: number;
  /** Answer tokens. */
  output: number;
}

/** A full scripted answer: text, tool calls, a structured value and token usage. */
export interface ScriptedMessage {
  /** Text content of the answer; empty when left out. */
  content?: string;
  /** Tool calls to emit, in order. */
  toolCalls?: ScriptedToolCall[];
  /**
   * The value a structured-output call should return. It becomes a call of the
   * tool the caller forced with `tool_choice`, which is what
   * `withStructuredOutput` does. With no tools bound it is answered as JSON
   * text instead, for callers that parse the text themselves. With tools bound
   * but none forced it throws: script `toolCalls` to call a tool.
   */
  structured?: Record<string, unknown>;
  /** Token usage to report; estimated from characters when left out. */
  usage?: ScriptedUsage;
}

/**
 * One answer of the scripted model: plain text, a {@link ScriptedMessage}, or
 * an `Error`, which the model throws (to simulate a failing provider).
 */
export type ScriptedAnswer = string | ScriptedMessage | Error;

/** A tool as the model saw it bound: its name, description and JSON schema. */
export interface ScriptedTool {
  /** Tool name, as tool calls must spell it. */
  name: string;
  /** What the tool is for, when it says. */
  description?: string;
  /** JSON schema of the tool's arguments. */
  schema: Record<string, unknown>;
}

/** Call options of {@link ScriptedChatModel}: the base ones plus the bound tools. */
export type ScriptedChatModelCallOptions = BaseChatModelCallOptions & {
  /** Tools bound with `bindTools`, in OpenAI format (what `createReactAgent` inspects). */
  tools?: ToolDefinition[];
};

/** The call options `_generate` receives: the call options minus the runnable config. */
export type ScriptedCallOptions = Omit<
  ScriptedChatModelCallOptions,
  Exclude<keyof RunnableConfig, "signal" | "timeout" | "maxConcurrency">
>;

/** What one call to the model was asked, as recorded in `model.calls`. */
export interface ScriptedModelCall {
  /** The prompt messages, in order. */
  messages: BaseMessage[];
  /** The call options, e.g. `tool_choice`, `signal`, `ls_structured_output_format`. */
  options: ScriptedCallOptions;
  /** The tools bound for this call; empty when none were. */
  tools: ScriptedTool[];
}

/** What a responder function is given: the call plus its 0-based position. */
export interface ScriptedCall extends ScriptedModelCall {
  /** 0 for the model's first call, 1 for the second, … */
  index: number;
}

/** Computes the answer to a call, e.g. from the last message or the bound tools. */
export type ScriptedResponder = (call: ScriptedCall) => ScriptedAnswer | Promise<ScriptedAnswer>;

/** Parameters of {@link ScriptedChatModel}. */
export interface ScriptedChatModelParams {
  /**
   * How to answer: a function called for every call, one answer given to every
   * call, or a list used in order (a call past its end throws).
   */
  responses: ScriptedResponder | ScriptedAnswer | readonly ScriptedAnswer[];
  /** Model name reported in `response_metadata.model_name` and tracing. */
  name?: string;
  /** Delay before each answer, in milliseconds; an aborted `signal` cuts it short. */
  latencyMs?: number;
}

/** Options of `withStructuredOutput`; any `method` is served by a forced tool call. */
type StructuredOutputOptions = StructuredOutputMethodOptions<boolean>;

/** A zod schema, a standard JSON-serialisable schema, or a plain JSON schema. */
type StructuredOutputSchema<RunOutput extends Record<string, unknown>> =
  | InteropZodType<RunOutput>
  | SerializableSchema<RunOutput>
  | Record<string, unknown>;

const FREE_TOOL_CHOICES = new Set(["auto", "any", "none", "required"]);

/**
 * A chat model for deterministic tests: it answers from a script and records
 * every call it gets.
 *
 * It emits real tool calls (so `createReactAgent` runs tools), supports
 * `bindTools` and `withStructuredOutput`, and reports token usage on the
 * message (`usage_metadata`) and to callbacks (`llmOutput.tokenUsage`).
 *
 * To script a structured answer, give `{ structured: value }`:
 *
 * ```ts
 * const model = new ScriptedChatModel({ responses: [{ structured: { verdict: "pass" } }] });
 * await model.withStructuredOutput(VerdictSchema).invoke("judge this"); // { verdict: "pass" }
 * ```
 *
 * `withStructuredOutput` forces a tool named `config.name` (default
 * `"extract"`) and validates the arguments with the schema, as tool-calling
 * providers do. An explicit `toolCalls: [{ name: "extract", args }]` or JSON
 * text (`'{"verdict":"pass"}'`) works as well.
 */
export class ScriptedChatModel extends BaseChatModel<ScriptedChatModelCallOptions, AIMessageChunk> {
  /** Every call so far, oldest first, including calls that threw. */
  readonly calls: ScriptedModelCall[] = [];

  /** Model name reported in responses and tracing. */
  readonly modelName: string;

  /** Delay before each answer, in milliseconds. */
  readonly latencyMs: number;

  private readonly respond: ScriptedResponder;

  /** Counts emitted tool calls, so generated ids are the same on every run. */
  private toolCallCount = 0;

  constructor({ responses, name = "scripted", latencyMs = 0 }: ScriptedChatModelParams) {
    // Nothing passed up: the base would keep the params as serialisable kwargs.
    super({});
    if (!Number.isFinite(latencyMs) || latencyMs < 0) {
      throw new RangeError(`ScriptedChatModel latencyMs must be 0 or more milliseconds, got ${latencyMs}.`);
    }
    this.modelName = name;
    this.latencyMs = latencyMs;
    this.respond = toResponder(responses, name);
  }

  /** How many times the model has been called. */
  get callCount(): number {
    return this.calls.length;
  }

  override _llmType(): string {
    return "scripted";
  }

  override _identifyingParams(): Record<string, unknown> {
    return { model_name: this.modelName };
  }

  override getLsParams(_options: this["ParsedCallOptions"]): LangSmithParams {
    return { ls_provider: "scripted", ls_model_name: this.modelName, ls_model_type: "chat" };
  }

  override bindTools(
    tools: BindToolsInput[],
    kwargs?: Partial<ScriptedChatModelCallOptions>,
  ): Runnable<BaseLanguageModelInput, AIMessageChunk, ScriptedChatModelCallOptions> {
    return this.withConfig({ ...kwargs, tools: tools.map(toToolDefinition) });
  }

  /**
   * Like the base implementation (a tool call carries the value) but it forces
   * the tool with `tool_choice`, so `{ structured }` answers know which tool to
   * call, and it validates the arguments with the schema, as real providers do.
   */
  override withStructuredOutput<RunOutput extends Record<string, unknown> = Record<string, unknown>>(
    outputSchema: StructuredOutputSchema<RunOutput>,
    config?: StructuredOutputMethodOptions<false>,
  ): Runnable<BaseLanguageModelInput, RunOutput>;
  override withStructuredOutput<RunOutput extends Record<string, unknown> = Record<string, unknown>>(
    outputSchema: StructuredOutputSchema<RunOutput>,
    config?: StructuredOutputMethodOptions<true>,
  ): Runnable<BaseLanguageModelInput, { raw: BaseMessage; parsed: RunOutput }>;
  override withStructuredOutput<RunOutput extends Record<string, unknown> = Record<string, unknown>>(
    outputSchema: StructuredOutputSchema<RunOutput>,
    config?: StructuredOutputOptions,
  ):
    | Runnable<BaseLanguageModelInput, RunOutput>
    | Runnable<BaseLanguageModelInput, { raw: BaseMessage; parsed: RunOutput }> {
    const isTypedSchema = isInteropZodSchema(outputSchema) || isSerializableSchema(outputSchema);
    const plainSchemaName =
      !isTypedSchema && typeof outputSchema.name === "string" ? outputSchema.name : undefined;
    const toolName = config?.name ?? plainSchemaName ?? "extract";
    const parameters = isTypedSchema ? toJsonSchema(outputSchema) : outputSchema;
    const tool: ToolDefinition = {
      type: "function",
      function: {
        name: toolName,
        description: getSchemaDescription(outputSchema) ?? "A function available to call.",
        parameters,
      },
    };
    const modelWithTool = this.bindTools([tool], {
      tool_choice: toolName,
      ls_structured_output_format: { kwargs: { method: "functionCalling" }, schema: parameters },
    });
    const parser = createFunctionCallingParser<RunOutput>(outputSchema, toolName);
    const includeRaw = config?.includeRaw === true;
    return assembleStructuredOutputPipeline<RunOutput>(
      modelWithTool,
      parser,
      includeRaw,
      includeRaw ? "StructuredOutputRunnable" : "StructuredOutput",
    );
  }

  override async _generate(
    messages: BaseMessage[],
    options: this["ParsedCallOptions"],
    _runManager?: CallbackManagerForLLMRun,
  ): Promise<ChatResult> {
    const call: ScriptedCall = {
      messages: [...messages],
      options,
      tools: (options.tools ?? []).map(describeTool),
      index: this.calls.length,
    };
    // Recorded before answering, so calls that fail are visible too.
    this.calls.push({ messages: call.messages, options: call.options, tools: call.tools });

    if (this.latencyMs > 0) await sleep(this.latencyMs, options.signal);
    options.signal?.throwIfAborted();

    const answer = await this.respond(call);
    if (answer instanceof Error) throw answer;

    const { content, toolCalls, usage } = this.toAnswerParts(answer, call);
    const inputTokens = usage?.input ?? estimateTokens(messages.map(textOf).join(""));
    const outputTokens =
      usage?.output ?? estimateTokens(content + (toolCalls.length > 0 ? JSON.stringify(toolCalls) : ""));
    const totalTokens = inputTokens + outputTokens;

    // An AIMessageChunk, not an AIMessage: the model's output type promises
    // chunks, and LangChain's tool-call parsers check for them.
    const message = new AIMessageChunk({
      content,
      tool_calls: toolCalls,
      usage_metadata: { input_tokens: inputTokens, output_tokens: outputTokens, total_tokens: totalTokens },
      response_metadata: {
        model_name: this.modelName,
        finish_reason: toolCalls.length > 0 ? "tool_calls" : "stop",
      },
    });
    return {
      generations: [{ text: content, message }],
      llmOutput: {
        tokenUsage: { promptTokens: inputTokens, completionTokens: outputTokens, totalTokens },
      },
    };
  }

  private toAnswerParts(
    answer: string | ScriptedMessage,
    call: ScriptedCall,
  ): { content: string; toolCalls: ToolCall[]; usage: ScriptedUsage | undefined } {
    const scripted: ScriptedMessage = typeof answer === "string" ? { content: answer } : answer;
    let content = scripted.content ?? "";
    const toolCalls = (scripted.toolCalls ?? []).map((toolCall) =>
      this.toToolCall(toolCall.name, toolCall.args, toolCall.id),
    );
    const forcedTool = forcedToolName(call.options.tool_choice, call.tools);

    if (scripted.structured !== undefined) {
      // Only a forced tool is taken as the structured-output tool: guessing
      // "the only bound tool" would turn a misplaced answer into a real tool
      // call, e.g. an agent looping on its one tool.
      if (forcedTool !== undefined) {
        toolCalls.push(this.toToolCall(forcedTool, scripted.structured));
      } else if (call.tools.length === 0) {
        if (scripted.content !== undefined) {
          throw new Error(
            `ScriptedChatModel "${this.modelName}" call ${call.index + 1}: the answer has both \`content\` and ` +
              "`structured` but no tools are bound, so `structured` would become the text. Give only one of them.",
          );
        }
        content = JSON.stringify(scripted.structured);
      } else {
        const names = call.tools.map((tool) => tool.name).join(", ");
        throw new Error(
          `ScriptedChatModel "${this.modelName}" call ${call.index + 1}: the answer has \`structured\` but ` +
            `tools are bound (${names}) and tool_choice forces none of them, so it is not a structured-output call. ` +
            "Script `toolCalls: [{ name, args }]` to call a tool.",
        );
      }
    } else if (forcedTool !== undefined && toolCalls.length === 0) {
      // A model forced to call a tool cannot answer with text: JSON text is
      // taken as that tool's arguments, so `'{"a":1}'` scripts structured output too.
      const args = parseJsonObject(content);
      if (args !== undefined) {
        toolCalls.push(this.toToolCall(forcedTool, args));
        content = "";
      }
    }
    return { content, toolCalls, usage: scripted.usage };
  }

  private toToolCall(name: string, args: Record<string, unknown>, id?: string): ToolCall {
    this.toolCallCount += 1;
    return { type: "tool_call", name, args, id: id ?? `call_${this.toolCallCount}` };
  }
}

function toResponder(responses: ScriptedChatModelParams["responses"], modelName: string): ScriptedResponder {
  if (typeof responses === "function") return responses;
  if (!isAnswerList(responses)) return () => responses;
  const answers = [...responses];
  return ({ index, messages }) => {
    const answer = answers[index];
    if (answer === undefined) {
      const lastMessage = messages.at(-1);
      const lastText = lastMessage === undefined ? "(none)" : JSON.stringify(textOf(lastMessage).slice(0, 200));
      throw new Error(
        `ScriptedChatModel "${modelName}" got call ${index + 1}, but only ${answers.length} ` +
          `response${answers.length === 1 ? " was" : "s were"} scripted. Add responses to \`responses\`, ` +
          `or pass a function to answer any number of calls. Last message of the call: ${lastText}`,
      );
    }
    return answer;
  };
}

function isAnswerList(responses: ScriptedAnswer | readonly ScriptedAnswer[]): responses is readonly ScriptedAnswer[] {
  return Array.isArray(responses);
}

function toToolDefinition(tool: BindToolsInput): ToolDefinition {
  if (isOpenAITool(tool)) return tool;
  if (isLangChainTool(tool)) return convertToOpenAITool(tool);
  throw new TypeError(
    "ScriptedChatModel.bindTools got a tool it cannot read. Pass a tool() or StructuredTool, " +
      'a { name, description, schema } object, or an OpenAI definition { type: "function", function: { name, parameters } }.',
  );
}

function describeTool(definition: ToolDefinition): ScriptedTool {
  const { name, description, parameters } = definition.function;
  return {
    name,
    ...(description === undefined ? {} : { description }),
    schema: { ...parameters },
  };
}

/** The one tool `tool_choice` requires, if it requires exactly one. */
function forcedToolName(toolChoice: ToolChoice | undefined, tools: ScriptedTool[]): string | undefined {
  if (typeof toolChoice === "string") {
    if (!FREE_TOOL_CHOICES.has(toolChoice)) return toolChoice;
    // "any"/"required" with one tool bound leaves no choice either.
    const mustCallATool = toolChoice === "any" || toolChoice === "required";
    return mustCallATool && tools.length === 1 ? tools[0]?.name : undefined;
  }
  // OpenAI's { type: "function", function: { name } }.
  const requested: unknown = toolChoice?.["function"];
  if (typeof requested === "object" && requested !== null && "name" in requested) {
    return typeof requested.name === "string" ? requested.name : undefined;
  }
  return undefined;
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith("{")) return undefined;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function textOf(message: BaseMessage): string {
  const content = typeof message.content === "string" ? message.content : JSON.stringify(message.content);
  // Tool calls in the history are part of the prompt a provider would bill.
  const toolCalls = "tool_calls" in message && Array.isArray(message.tool_calls) ? message.tool_calls : [];
  return toolCalls.length > 0 ? content + JSON.stringify(toolCalls) : content;
}

/** A deterministic stand-in for a tokenizer: about four characters a token. */
function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
