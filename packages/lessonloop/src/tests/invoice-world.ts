/**
 * A small billing world for tests: an agent whose `create_invoice` tool changed
 * its API (it now takes `amount_cents` and rejects `amount`), scripted models
 * that follow a lesson only when it reaches their prompt, and stored edge cases.
 */
import { tool } from "@langchain/core/tools";
import { ToolMessage, type BaseMessage } from "@langchain/core/messages";
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { ToolNode, toolsCondition } from "@langchain/langgraph/prebuilt";
import type { EdgeCaseInput, EpisodeInput, Lesson } from "@lessonloop/core";
import type { Evaluator } from "@lessonloop/critic";
import { ScriptedChatModel, type ScriptedAnswer, type ScriptedCall } from "@lessonloop/core/testing";
import type { LessonRelation, ProposedLesson } from "@lessonloop/learner";
import { z } from "zod";
import type { LearningLoopParams } from "../learning-loop.js";

export const SCOPE = { tenant: "acme", agent: "billing" } as const;
export const INVOICE_TASK = "Create an invoice for ACME of 12.50 EUR";
export const CREATE_INVOICE_ERROR = "create_invoice no longer accepts `amount`: send `amount_cents`, the amount in integer cents";

export const createInvoice = tool(
  async ({ customer, amount, amount_cents }: { customer: string; amount?: number | undefined; amount_cents?: number | undefined }) => {
    if (amount !== undefined || amount_cents === undefined) throw new Error(CREATE_INVOICE_ERROR);
    return `Invoice INV-7 for ${customer}: ${amount_cents} cents`;
  },
  {
    name: "create_invoice",
    description: "Creates an invoice for a customer.",
    schema: z.object({ customer: z.string(), amount: z.number().optional(), amount_cents: z.number().int().optional() }),
  },
);

export const createRefund = tool(async ({ order, amount }: { order: string; amount?: number | undefined }) => `Refunded ${amount ?? 0} EUR on order ${order}`, {
  name: "create_refund",
  description: "Refunds an order.",
  schema: z.object({ order: z.string(), amount: z.number().optional(), amount_cents: z.number().int().optional() }),
});

export const TOOLS = [createInvoice, createRefund];
export const ROLE_PLAY_TOOLS = [
  { name: "create_invoice", description: "Creates an invoice for a customer." },
  { name: "create_refund", description: "Refunds an order." },
];
export const AGENT_DESCRIPTION = "The billing agent of a small shop: creates invoices and refunds orders.";

/** The right lesson: about invoices only. */
export const RIGHT_LESSON: ProposedLesson = {
  trigger: "creating an invoice with the create_invoice tool",
  guidance: "Send the invoice amount as amount_cents, an integer number of cents (12.50 EUR is 1250); create_invoice no longer accepts amount.",
  rationale: "create_invoice rejected the amount field and asked for amount_cents.",
  kind: "recovery",
  appliesTo: "agent",
};

/** Plausible but wrong: it generalises to every billing tool, and refunds still take euros. */
export const WRONG_LESSON: ProposedLesson = {
  trigger: "a billing tool rejects an amount or an invoice fails",
  guidance: "Send every amount as amount_cents in integer cents, in every billing tool (create_invoice and create_refund).",
  rationale: "create_invoice rejected amount and asked for amount_cents.",
  kind: "recovery",
  appliesTo: "agent",
};

/** What a lesson the agent was given says about amounts. */
function followsLesson(lessonText: string, task: string): boolean {
  if (!/amount_cents/.test(lessonText)) return false;
  if (/every billing tool/i.test(lessonText)) return true;
  return /invoice/i.test(task) && /invoice/i.test(lessonText);
}

/** The agent's policy: its next decision on a task, given the lesson text in its prompt ("" for none). */
export function decide(task: string, lessonText: string): { name: string; args: Record<string, unknown> } | { answer: string } {
  const amount = Number(/(\d+(?:\.\d+)?)\s*EUR/i.exec(task)?.[1] ?? "0");
  const cents = followsLesson(lessonText, task);
  if (/invoice/i.test(task)) {
    const customer = /for (\w+)/i.exec(task)?.[1] ?? "unknown";
    return { name: "create_invoice", args: cents ? { customer, amount_cents: Math.round(amount * 100) } : { customer, amount } };
  }
  if (/refund/i.test(task)) {
    const order = /order (\S+)/i.exec(task)?.[1] ?? "unknown";
    return { name: "create_refund", args: cents ? { order, amount_cents: Math.round(amount * 100) } : { order, amount } };
  }
  return { answer: "I can only create invoices and refunds." };
}

function text(message: BaseMessage): string {
  return typeof message.content === "string" ? message.content : JSON.stringify(message.content);
}

/**
 * The agent's model: on a task it calls a tool as `decide` says, with the
 * system messages in its prompt as the lesson text (so it follows a lesson only
 * when the retriever put it there); after a tool result it answers.
 */
export function createAgentModel(): ScriptedChatModel {
  return new ScriptedChatModel({
    name: "agent-model",
    responses: ({ messages }: ScriptedCall): ScriptedAnswer => {
      const last = messages.at(-1);
      if (last instanceof ToolMessage || last?.getType() === "tool") {
        const failed = (last as ToolMessage).status === "error";
        return failed ? `I could not do it: ${text(last)}` : `Done: ${text(last)}.`;
      }
      const lessons = messages.filter((message) => message.getType() === "system").map(text).join("\n");
      const task = [...messages].reverse().find((message) => message.getType() === "human");
      const decision = decide(task === undefined ? "" : text(task), lessons);
      return "answer" in decision ? decision.answer : { toolCalls: [{ name: decision.name, args: decision.args }] };
    },
  });
}

/** The agent as a `StateGraph` builder: model ⇄ tools. */
export function createAgentBuilder(model: ScriptedChatModel) {
  const bound = model.bindTools(TOOLS);
  return new StateGraph(MessagesAnnotation)
    .addNode("model", async (state) => ({ messages: [await bound.invoke(state.messages)] }))
    .addNode("tools", new ToolNode(TOOLS))
    .addEdge(START, "model")
    .addConditionalEdges("model", toolsCondition, ["tools", END])
    .addEdge("tools", "model");
}

/** A learner model that proposes `lesson` and calls every near-duplicate `relation` (default "different"). */
export function createLearnerModel(lesson: ProposedLesson, latencyMs = 0, relation: LessonRelation = "different"): ScriptedChatModel {
  return new ScriptedChatModel({
    name: "learner-model",
    latencyMs,
    responses: ({ tools }: ScriptedCall): ScriptedAnswer => {
      const name = tools[0]?.name;
      if (name === "propose_lessons") return { structured: { lessons: [lesson] } };
      if (name === "compare_lessons") return { structured: { relation, reason: relation === "different" ? "another situation" : "the same situation" } };
      return new Error(`the learner model got an unexpected call (${name ?? "no tool"})`);
    },
  });
}

const LESSON_MARK = "A lesson the agent has learned";

/**
 * A peer validator's model for the role-play runner: it plays the agent with
 * `decide` (the lesson part of its system prompt as the lesson text) and judges
 * rubrics by whether the decision sends `amount_cents`.
 */
export function createPeerModel(name: string, latencyMs = 0): ScriptedChatModel {
  return new ScriptedChatModel({
    name,
    latencyMs,
    responses: ({ tools, messages }: ScriptedCall): ScriptedAnswer => {
      const toolName = tools[0]?.name;
      const system = messages.find((message) => message.getType() === "system");
      const human = text(messages.at(-1) as BaseMessage);
      if (toolName === "agent_decision") {
        const systemText = system === undefined ? "" : text(system);
        const lessonText = systemText.includes(LESSON_MARK) ? systemText.slice(systemText.indexOf(LESSON_MARK)) : "";
        const task = /Task:\n([\s\S]*?)\n\nWhat is the agent's next step\?/.exec(human)?.[1] ?? "";
        const decision = decide(task, lessonText);
        return "answer" in decision
          ? { structured: { action: "answer", answer: decision.answer } }
          : { structured: { action: "tool_call", tool: decision.name, args: decision.args } };
      }
      if (toolName === "rubric_judgement") {
        const passed = /amount_cents/.test(human.slice(human.indexOf("The agent's decision:"), human.indexOf("Rubric:")));
        return { structured: { passed, reason: passed ? "the invoice is sent in cents" : "the invoice would fail again" } };
      }
      return new Error(`peer ${name} got an unexpected call (${toolName ?? "no tool"})`);
    },
  });
}

/** Passes an episode whose `create_invoice` (or refund) call succeeded; leaves failures to the tool errors. */
export const billingEvaluator: Evaluator = (episode) => {
  const succeeded = episode.trajectory.some((step) => step.type === "tool_result" && !step.isError);
  return succeeded ? { passed: true, reason: "the billing tool call succeeded" } : undefined;
};

/** Two refund cases that pass today (refunds still take euros), and one unrelated case. */
export function regressionCases(createdAt = "2026-01-01T00:00:00.000Z"): EdgeCaseInput[] {
  return [
    {
      id: "refund-a1",
      input: "Refund 5.00 EUR on order A-1",
      check: { type: "tool_call", name: "create_refund", args: { order: "A-1", amount: 5 } },
      kind: "regression",
      scope: { ...SCOPE },
      createdAt,
    },
    {
      id: "refund-b2",
      input: "Refund 7.25 EUR on order B-2",
      check: { type: "tool_call", name: "create_refund", args: { order: "B-2", amount: 7.25 } },
      kind: "regression",
      scope: { ...SCOPE },
      createdAt,
    },
  ];
}

/** A failed episode of the invoice task (or another invoice `task`), as the recorder would build it. */
export function failedInvoiceEpisode(id: string, startedAt = "2026-01-01T00:00:00.000Z", task = INVOICE_TASK): EpisodeInput {
  return {
    id,
    input: task,
    trajectory: [
      { type: "message", role: "user", content: task },
      { type: "tool_call", id: `${id}-c1`, name: "create_invoice", args: { customer: "ACME", amount: 12.5 } },
      { type: "tool_result", callId: `${id}-c1`, name: "create_invoice", content: `Error: ${CREATE_INVOICE_ERROR}`, isError: true },
      { type: "message", role: "assistant", content: `I could not do it: ${CREATE_INVOICE_ERROR}` },
    ],
    outcome: { status: "unknown", signal: { source: "none", detail: "" } },
    scope: { ...SCOPE },
    memoryVersion: 0,
    startedAt,
  };
}

/** Lesson ids live in memory, sorted. */
export function ids(lessons: readonly Lesson[]): string[] {
  return lessons.map((lesson) => lesson.id).sort();
}

/**
 * The learning-loop settings the invoice-world tests share: the scripted learner
 * proposing `lesson`, three scripted peers, the billing evaluator deciding
 * outcomes (so no critic model), and the tools the peers role-play with.
 */
export function invoiceLoopParams(lesson: ProposedLesson = RIGHT_LESSON) {
  return {
    learnerModel: createLearnerModel(lesson),
    validatorModels: [createPeerModel("peer-a"), createPeerModel("peer-b"), createPeerModel("peer-c")],
    criticModel: null,
    evaluator: billingEvaluator,
    agentDescription: AGENT_DESCRIPTION,
    tools: ROLE_PLAY_TOOLS,
  } satisfies Partial<LearningLoopParams>;
}
