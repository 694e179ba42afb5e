/**
 * The example's world: a small billing API whose `create_invoice` changes
 * halfway through the day, the task stream, and the simulated models that run
 * offline. The simulated agent knows only the API it was built for; it sends
 * `amount_cents` only when a lesson saying so is in the messages it receives.
 */
import type { BaseMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { ScriptedChatModel, type ScriptedAnswer, type ScriptedCall } from "@lessonloop/core/testing";
import { z } from "zod";

/** The error the changed API answers to an invoice sent the old way. */
export const INVOICE_API_ERROR =
  '400 invalid_request_error: create_invoice no longer accepts "amount" (API version 2026-02). ' +
  'Send "amount_cents", the amount as an integer number of cents (e.g. 12.50 EUR → 1250).';

/** What the agent is asked to do, in order; the API changes after the third task. */
export const TASKS = [
  "Create an invoice for ACME of 12.50 EUR",
  "Refund 5.00 EUR on order A-1",
  "Create an invoice for Globex of 40.00 EUR",
  "Create an invoice for Initech of 99.90 EUR",
  "Refund 7.25 EUR on order B-2",
  "Create an invoice for Umbrella of 250.00 EUR",
  "Create an invoice for Hooli of 18.75 EUR",
  "Create an invoice for ACME of 12.50 EUR",
] as const;
export const CHANGE_AFTER_TASK = 3;

export const AGENT_DESCRIPTION = "The billing agent of a small shop: creates invoices and refunds orders with the billing API.";
export const TOOL_DESCRIPTIONS = [
  { name: "create_invoice", description: "Creates an invoice for a customer. amount: the amount in EUR." },
  { name: "create_refund", description: "Refunds an order. amount: the amount in EUR." },
];

/** The billing API: version 1 until `upgrade()`, then version 2 (invoices in cents). */
export interface BillingApi {
  readonly tools: ReturnType<typeof createTools>;
  readonly version: () => 1 | 2;
  upgrade(): void;
}

function createTools(state: { version: 1 | 2; nextInvoice: number }) {
  // The schema is the agent's (now stale) documentation of version 1; unknown
  // fields pass through, as they do over a real HTTP API.
  const createInvoice = tool(
    async (args: { customer: string; amount?: number | undefined; [field: string]: unknown }) => {
      const cents = args["amount_cents"];
      if (state.version === 2) {
        if (args.amount !== undefined || typeof cents !== "number" || !Number.isInteger(cents)) throw new Error(INVOICE_API_ERROR);
        return `Invoice INV-${state.nextInvoice++} for ${args.customer}: ${(cents / 100).toFixed(2)} EUR`;
      }
      if (args.amount === undefined) throw new Error('400 invalid_request_error: "amount" is required.');
      return `Invoice INV-${state.nextInvoice++} for ${args.customer}: ${args.amount.toFixed(2)} EUR`;
    },
    {
      name: "create_invoice",
      description: TOOL_DESCRIPTIONS[0]?.description ?? "",
      schema: z.looseObject({ customer: z.string().describe("The customer's name"), amount: z.number().optional().describe("The amount in EUR") }),
    },
  );
  const createRefund = tool(async ({ order, amount }: { order: string; amount: number }) => `Refunded ${amount.toFixed(2)} EUR on order ${order}`, {
    name: "create_refund",
    description: TOOL_DESCRIPTIONS[1]?.description ?? "",
    schema: z.object({ order: z.string().describe("The order id"), amount: z.number().describe("The amount in EUR") }),
  });
  return [createInvoice, createRefund];
}

export function createBillingApi(): BillingApi {
  const state: { version: 1 | 2; nextInvoice: number } = { version: 1, nextInvoice: 1001 };
  return {
    tools: createTools(state),
    version: () => state.version,
    upgrade() {
      state.version = 2;
    },
  };
}

/** Whether lesson text tells the agent to send invoice amounts in cents. */
function saysCents(lessonText: string, task: string): boolean {
  return /amount_cents/.test(lessonText) && /invoice/i.test(lessonText) && /invoice/i.test(task);
}

/** The simulated agent's policy: its next tool call on a task, given the lesson text it was shown ("" for none). */
export function decide(task: string, lessonText: string): { name: string; args: Record<string, unknown> } | { answer: string } {
  const amount = Number(/(\d+(?:\.\d+)?)\s*EUR/i.exec(task)?.[1] ?? "0");
  if (/invoice/i.test(task)) {
    const customer = /for (\w+)/i.exec(task)?.[1] ?? "unknown";
    return { name: "create_invoice", args: saysCents(lessonText, task) ? { customer, amount_cents: Math.round(amount * 100) } : { customer, amount } };
  }
  if (/refund/i.test(task)) return { name: "create_refund", args: { order: /order (\S+)/i.exec(task)?.[1] ?? "unknown", amount } };
  return { answer: "I can only create invoices and refunds." };
}

/** The agent's answer after a tool result. */
export function answerAfterTool(result: string, failed: boolean): string {
  return failed ? `I could not do it: ${result}` : `Done: ${result}.`;
}

function text(message: BaseMessage | undefined): string {
  if (message === undefined) return "";
  return typeof message.content === "string" ? message.content : JSON.stringify(message.content);
}

/**
 * The simulated agent model: calls a tool as `decide` says, with the system
 * messages it receives as the lesson text, then reports the tool's result.
 */
export function createSimulatedAgentModel(): ScriptedChatModel {
  return new ScriptedChatModel({
    name: "simulated-agent",
    responses: ({ messages }: ScriptedCall): ScriptedAnswer => {
      const last = messages.at(-1);
      if (last?.getType() === "tool") return answerAfterTool(text(last), text(last).startsWith("Error"));
      const lessons = messages.filter((message) => message.getType() === "system").map(text).join("\n");
      const decision = decide(text([...messages].reverse().find((message) => message.getType() === "human")), lessons);
      return "answer" in decision ? decision.answer : { toolCalls: [{ name: decision.name, args: decision.args }] };
    },
  });
}

/** The lesson the simulated learner proposes when a run shows the API asking for `amount_cents`. */
export const CENTS_LESSON = {
  trigger: "creating an invoice with the create_invoice tool",
  guidance: "Send the invoice amount as amount_cents, an integer number of cents (12.50 EUR is 1250); create_invoice no longer accepts amount.",
  rationale: "create_invoice rejected the amount field and asked for amount_cents.",
  kind: "recovery",
  appliesTo: "agent",
} as const;

/**
 * The simulated learner's answer to a structured-output call (`propose_lessons`
 * or `compare_lessons`), from the text of the prompt it was given: it proposes
 * the cents lesson only when the failed run it reads shows the API asking for it.
 */
export function learnerAnswer(callName: string | undefined, prompt: string): Record<string, unknown> | Error {
  if (callName === "compare_lessons") return { relation: "different", reason: "another situation" };
  if (callName !== "propose_lessons") return new Error(`the simulated learner got an unexpected call (${callName ?? "no tool"})`);
  const shows = /create_invoice no longer accepts/.test(prompt) && /amount_cents/.test(prompt);
  return { lessons: shows ? [CENTS_LESSON] : [] };
}

const LESSON_MARK = "A lesson the agent has learned";

/**
 * A simulated peer validator's answer for the role-play runner: it plays the
 * agent with the same `decide` policy (the lesson part of its system prompt as
 * the lesson text) and judges a rubric by whether the decision would satisfy
 * the changed API.
 */
export function peerAnswer(callName: string | undefined, system: string, human: string): Record<string, unknown> | Error {
  if (callName === "agent_decision") {
    const lessonText = system.includes(LESSON_MARK) ? system.slice(system.indexOf(LESSON_MARK)) : "";
    const task = /Task:\n([\s\S]*?)\n\nWhat is the agent's next step\?/.exec(human)?.[1] ?? "";
    const decision = decide(task, lessonText);
    return "answer" in decision ? { action: "answer", answer: decision.answer } : { action: "tool_call", tool: decision.name, args: decision.args };
  }
  if (callName === "rubric_judgement") {
    const passed = /amount_cents/.test(human.slice(human.indexOf("The agent's decision:"), human.indexOf("Rubric:")));
    return { passed, reason: passed ? "the invoice is sent in cents, as the API now requires" : "the invoice would be rejected again" };
  }
  return new Error(`a simulated peer got an unexpected call (${callName ?? "no tool"})`);
}

/** The simulated learner as a chat model. */
export function createSimulatedLearnerModel(): ScriptedChatModel {
  return new ScriptedChatModel({
    name: "simulated-learner",
    responses: ({ tools, messages }: ScriptedCall): ScriptedAnswer => {
      const answer = learnerAnswer(tools[0]?.name, messages.map(text).join("\n"));
      return answer instanceof Error ? answer : { structured: answer };
    },
  });
}

/** A simulated peer validator as a chat model. */
export function createSimulatedPeerModel(name: string): ScriptedChatModel {
  return new ScriptedChatModel({
    name,
    responses: ({ tools, messages }: ScriptedCall): ScriptedAnswer => {
      const answer = peerAnswer(tools[0]?.name, text(messages.find((message) => message.getType() === "system")), text(messages.at(-1)));
      return answer instanceof Error ? answer : { structured: answer };
    },
  });
}
