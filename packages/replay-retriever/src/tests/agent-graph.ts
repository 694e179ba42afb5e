import { AIMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import { Annotation, END, MessagesAnnotation, START, StateGraph, type BaseCheckpointSaver, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { lessonFixture } from "@lessonloop/core/conformance";
import type { LessonInput, Scope } from "@lessonloop/core";
import { ScriptedChatModel } from "@lessonloop/core/testing";
import { LessonContextAnnotation } from "../lesson-context.js";
import type { ReplayRetrieverNode } from "../replay-retriever.js";

/** The state of the test graphs: messages plus the retriever's keys, as a user would spread them. */
export const AgentState = Annotation.Root({ ...MessagesAnnotation.spec, ...LessonContextAnnotation.spec });
export type AgentStateType = typeof AgentState.State;

/** Scope from `configurable.userId` in tenant "acme", as a user's graph would take it. */
export function userScope(_state: unknown, config: LangGraphRunnableConfig): Scope {
  const user: unknown = config.configurable?.["userId"];
  return typeof user === "string" ? { tenant: "acme", user } : { tenant: "acme" };
}

/**
 * START → retrieve_lessons → agent → END, or with `tools` a ReAct loop:
 * agent → tools → retrieve_lessons → agent while the model calls a tool.
 */
export function buildAgentGraph({
  retriever,
  model,
  checkpointer,
  tools = false,
  interruptBefore,
}: {
  retriever: ReplayRetrieverNode<AgentStateType>;
  model: ScriptedChatModel;
  checkpointer?: BaseCheckpointSaver;
  tools?: boolean;
  interruptBefore?: ("tools" | "agent")[];
}) {
  const graph = new StateGraph(AgentState)
    .addNode("retrieve_lessons", retriever)
    .addNode("agent", async (state: AgentStateType) => ({ messages: [await model.invoke(state.messages)] }))
    .addNode("tools", (state: AgentStateType) => {
      const last = state.messages.at(-1);
      const calls = AIMessage.isInstance(last) ? (last.tool_calls ?? []) : [];
      return { messages: calls.map((call) => new ToolMessage({ tool_call_id: call.id ?? "", name: call.name, content: "order 42: charged twice" })) };
    })
    .addEdge(START, "retrieve_lessons")
    .addEdge("retrieve_lessons", "agent")
    .addConditionalEdges("agent", (state: AgentStateType) => {
      const last = state.messages.at(-1);
      const wantsTool = tools && last !== undefined && AIMessage.isInstance(last) && (last.tool_calls?.length ?? 0) > 0;
      return wantsTool ? "tools" : END;
    }, ["tools", END])
    .addEdge("tools", "retrieve_lessons");
  return graph.compile({ ...(checkpointer === undefined ? {} : { checkpointer }), ...(interruptBefore === undefined ? {} : { interruptBefore }) });
}

/** The text of the system messages of one model call. */
export function systemTextOf(messages: readonly BaseMessage[]): string {
  return messages
    .filter((message) => message.type === "system")
    .map((message) => message.text)
    .join("\n");
}

const TIME = "2026-01-01T00:00:00.000Z";

/** Lessons about a refund workflow, matched by a refund request. */
export const refundLesson = (id: string, overrides: Partial<LessonInput> = {}): LessonInput =>
  lessonFixture(id, {
    trigger: "a customer asks for a refund of an order that was charged twice",
    guidance: "refund only the duplicate charge and keep the original payment",
    createdAt: TIME,
    ...overrides,
  });

export const REFUND_REQUEST = "Please refund order 42, the customer was charged twice for it.";
