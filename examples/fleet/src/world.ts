/**
 * The fleet's world: a billing API whose `create_invoice` takes integer cents,
 * an agent built for the old API (euros) that follows a lesson when one is in
 * its messages, and the simulated models of the learner and the peers. Offline:
 * scripted models, no endpoint.
 */
import type { BaseMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { ToolNode, toolsCondition } from "@langchain/langgraph/prebuilt";
import { ScriptedChatModel, type ScriptedAnswer, type ScriptedCall } from "@lessonloop/core/testing";
import { z } from "zod";

export const SCOPE = { tenant: "acme", agent: "billing" };
export const AGENT_DESCRIPTION = "The billing agent of a small shop: creates invoices with the billing API.";
export const ROLE_PLAY_TOOLS = [{ name: "create_invoice", description: "Creates an invoice for a customer. amount: the amount in EUR." }];
const API_ERROR = 'create_invoice no longer accepts "amount": send "amount_cents", the amount as an integer number of cents.';

/** The task of an agent's run: customers and amounts vary. */
export function taskOf(agent: number, run: number): string {
  return `Create an invoice for Customer${agent}${run} of ${(10 + agent * 3 + run).toFixed(2)} EUR`;
}

const createInvoice = tool(
  async (args: { customer: string; [field: string]: unknown }) => {
    const cents = args["amount_cents"];
    if (typeof cents !== "number" || !Number.isInteger(cents)) throw new Error(API_ERROR);
    return `Invoice for ${args.customer}: ${(cents / 100).toFixed(2)} EUR`;
  },
  { name: "create_invoice", description: ROLE_PLAY_TOOLS[0]?.description ?? "", schema: z.looseObject({ customer: z.string() }) },
);

function text(message: BaseMessage | undefined): string {
  if (message === undefined) return "";
  return typeof message.content === "string" ? message.content : JSON.stringify(message.content);
}

/** The agent's next step on a task, given the lesson text in its prompt. */
function decide(task: string, lessonText: string): { name: string; args: Record<string, unknown> } {
  const amount = Number(/(\d+(?:\.\d+)?)\s*EUR/i.exec(task)?.[1] ?? "0");
  const customer = /for (\w+)/i.exec(task)?.[1] ?? "unknown";
  const cents = /amount_cents/.test(lessonText) && /invoice/i.test(lessonText);
  return { name: "create_invoice", args: cents ? { customer, amount_cents: Math.round(amount * 100) } : { customer, amount } };
}

/** The agent as a graph: model ⇄ tools; the model follows a lesson in its system messages. */
export function createAgentGraph() {
  const model = new ScriptedChatModel({
    name: "fleet-agent",
    responses: ({ messages }: ScriptedCall): ScriptedAnswer => {
      const last = messages.at(-1);
      if (last?.getType() === "tool") return text(last).startsWith("Error") ? `I could not do it: ${text(last)}` : `Done: ${text(last)}.`;
      const lessons = messages.filter((message) => message.getType() === "system").map(text).join("\n");
      const decision = decide(text([...messages].reverse().find((message) => message.getType() === "human")), lessons);
      return { toolCalls: [{ name: decision.name, args: decision.args }] };
    },
  });
  const bound = model.bindTools([createInvoice]);
  return new StateGraph(MessagesAnnotation)
    .addNode("model", async (state) => ({ messages: [await bound.invoke(state.messages)] }))
    .addNode("tools", new ToolNode([createInvoice]))
    .addEdge(START, "model")
    .addConditionalEdges("model", toolsCondition, ["tools", END])
    .addEdge("tools", "model");
}

const CENTS_LESSON = {
  trigger: "creating an invoice with the create_invoice tool",
  guidance: "Send the invoice amount as amount_cents, an integer number of cents (12.50 EUR is 1250); create_invoice no longer accepts amount.",
  rationale: "create_invoice rejected the amount field and asked for amount_cents.",
  kind: "recovery",
  appliesTo: "agent",
} as const;

/** The simulated learner (a fixed latency a call): proposes the cents lesson when the run shows the error; a lesson like it already in memory is the same. */
export function createLearnerModel(latencyMs = 0): ScriptedChatModel {
  return new ScriptedChatModel({
    name: "simulated-learner",
    latencyMs,
    responses: ({ tools, messages }: ScriptedCall): ScriptedAnswer => {
      const call = tools[0]?.name;
      if (call === "compare_lessons") return { structured: { relation: "same", reason: "the same change of the invoice API" } };
      if (call !== "propose_lessons") return new Error(`the simulated learner got an unexpected call (${call ?? "no tool"})`);
      const shows = messages.map(text).some((prompt) => prompt.includes("no longer accepts"));
      return { structured: { lessons: shows ? [CENTS_LESSON] : [] } };
    },
  });
}

/** A simulated peer validator: plays the agent with the lessons of its prompt, and judges whether the invoice is sent in cents. */
export function createPeerModel(name: string, latencyMs = 0): ScriptedChatModel {
  return new ScriptedChatModel({
    name,
    latencyMs,
    responses: ({ tools, messages }: ScriptedCall): ScriptedAnswer => {
      const call = tools[0]?.name;
      const human = text(messages.at(-1));
      if (call === "agent_decision") {
        const task = /Task:\n([\s\S]*?)\n\nWhat is the agent's next step\?/.exec(human)?.[1] ?? "";
        const decision = decide(task, text(messages.find((message) => message.getType() === "system")));
        return { structured: { action: "tool_call", tool: decision.name, args: decision.args } };
      }
      if (call === "rubric_judgement") {
        const passed = /amount_cents/.test(human.slice(human.indexOf("The agent's decision:"), human.indexOf("Rubric:")));
        return { structured: { passed, reason: passed ? "the invoice is sent in cents" : "the invoice would be rejected again" } };
      }
      return new Error(`a simulated peer got an unexpected call (${call ?? "no tool"})`);
    },
  });
}

/** Passes a run whose invoice was created; a failed one is left to the tool error. */
export const evaluator = (episode: { trajectory: readonly { type: string; isError?: boolean }[] }) =>
  episode.trajectory.some((step) => step.type === "tool_result" && step.isError === false) ? { passed: true, reason: "the invoice was created" } : undefined;

/** Loop settings every process of the fleet shares. */
export function loopParams(latencyMs = 0) {
  return {
    learnerModel: createLearnerModel(latencyMs),
    validatorModels: [createPeerModel("peer-a", latencyMs), createPeerModel("peer-b", latencyMs), createPeerModel("peer-c", latencyMs)],
    criticModel: null,
    evaluator,
    agentDescription: AGENT_DESCRIPTION,
    tools: ROLE_PLAY_TOOLS,
    logVerdicts: "off" as const,
    onEvent: () => undefined,
  };
}
