import type { BaseMessage } from "@langchain/core/messages";
import { ToolNameSchema } from "@lessonloop/core/internal";

/** The name of one tool as a model request holds it: a LangChain tool (`name`) or an OpenAI-style definition (`function.name`). */
function nameOf(tool: unknown): unknown {
  if (typeof tool !== "object" || tool === null) return undefined;
  const record = tool as { name?: unknown; function?: { name?: unknown } };
  return record.name ?? record.function?.name;
}

/**
 * The names of the tools an agent may call in a step, e.g. a model request's
 * `tools`. A name that is not a tool name is left out: it could anchor no lesson.
 */
export function toolNamesOf(tools: readonly unknown[] | undefined): string[] {
  const names = new Set<string>();
  for (const tool of tools ?? []) {
    const name = nameOf(tool);
    if (ToolNameSchema.safeParse(name).success) names.add(name as string);
  }
  return [...names];
}

/** The tools the run has called so far: the tool calls of its AI messages. */
export function calledTools(messages: readonly BaseMessage[]): string[] {
  const calls = messages.flatMap((message) => ("tool_calls" in message && Array.isArray(message.tool_calls) ? (message.tool_calls as unknown[]) : []));
  return toolNamesOf(calls);
}
