import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { BaseMessage } from "@langchain/core/messages";
import type { RunnableConfig } from "@langchain/core/runnables";
import type { z } from "zod";

/** How a structured model call ended: a parsed value, or why there is none. */
export type StructuredResult<T> =
  | { ok: true; value: T; attempts: number }
  | {
      ok: false;
      /** `malformed`: the answer did not fit the schema; `failed`: the call threw. (The last attempt's.) */
      reason: "malformed" | "failed";
      /** What was wrong, from the last attempt. */
      message: string;
      attempts: number;
      /** The last error, when a call threw. */
      cause?: unknown;
    };

/** What {@link callStructured} needs. */
export interface StructuredCall<S extends z.ZodType<Record<string, unknown>>> {
  model: BaseChatModel;
  /** The answer's schema, given to `withStructuredOutput` and checked again on the parsed value. */
  schema: S;
  /** The name of the structured-output tool, e.g. `judge_episode`. */
  name: string;
  messages: BaseMessage[];
  /** The node's config, passed on for callbacks, tracing and the abort signal. */
  config?: RunnableConfig;
  /** Further checks on a parsed value; a returned string makes it malformed. */
  refine?: (value: z.output<S>) => string | undefined;
  /** Calls before giving up. Default 2: one retry. */
  attempts?: number;
}

/**
 * Asks `model` for a structured answer with `withStructuredOutput`, retrying a
 * malformed answer or a failed call, and returns why there is no value instead
 * of throwing. Only an aborted run (`config.signal`) throws.
 */
export async function callStructured<S extends z.ZodType<Record<string, unknown>>>({
  model,
  schema,
  name,
  messages,
  config,
  refine,
  attempts = 2,
}: StructuredCall<S>): Promise<StructuredResult<z.output<S>>> {
  const runnable = model.withStructuredOutput(schema, { name, includeRaw: true });
  let last: Extract<StructuredResult<z.output<S>>, { ok: false }> = { ok: false, reason: "failed", message: "not called", attempts: 0 };
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let parsed: unknown;
    let raw: unknown;
    try {
      ({ parsed, raw } = await runnable.invoke(messages, config));
    } catch (error) {
      config?.signal?.throwIfAborted();
      last = { ok: false, reason: "failed", message: error instanceof Error ? error.message : String(error), attempts: attempt, cause: error };
      continue;
    }
    // Checked again: not every provider's parser validates, and `parsed` is null when parsing failed.
    // When the provider's parser gave up, the raw answer says what was wrong with it.
    const answer = parsed ?? rawAnswer(raw, name);
    const result = schema.safeParse(answer);
    if (!result.success) {
      const issues = result.error.issues.map((issue) => `${issue.path.map(String).join(".") || "(root)"}: ${issue.message}`);
      last = { ok: false, reason: "malformed", message: answer === undefined ? describeRaw(raw, name) : issues.join("; "), attempts: attempt };
      continue;
    }
    const problem = refine?.(result.data);
    if (problem !== undefined) {
      last = { ok: false, reason: "malformed", message: problem, attempts: attempt };
      continue;
    }
    return { ok: true, value: result.data, attempts: attempt };
  }
  return last;
}

/** The arguments of the structured-output tool call in a raw answer, or its text parsed as JSON. */
function rawAnswer(raw: unknown, name: string): unknown {
  if (typeof raw !== "object" || raw === null) return undefined;
  const { tool_calls: toolCalls, content } = raw as { tool_calls?: unknown; content?: unknown };
  if (Array.isArray(toolCalls)) {
    const call: unknown = toolCalls.find((item: unknown) => typeof item === "object" && item !== null && (item as { name?: unknown }).name === name);
    if (typeof call === "object" && call !== null && "args" in call) return call.args;
  }
  if (typeof content !== "string") return undefined;
  try {
    return JSON.parse(content) as unknown;
  } catch {
    return undefined;
  }
}

function describeRaw(raw: unknown, name: string): string {
  const content = typeof raw === "object" && raw !== null ? (raw as { content?: unknown }).content : undefined;
  const text = typeof content === "string" ? content : JSON.stringify(content ?? null);
  return `the answer was neither a ${name} call nor JSON: ${JSON.stringify(text.length > 200 ? `${text.slice(0, 199)}…` : text)}`;
}
