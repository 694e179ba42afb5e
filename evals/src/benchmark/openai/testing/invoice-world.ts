/**
 * A small world for the openai suite's tests: a billing API whose invoice
 * call changes from `amount` (euros) to `amount_cents` at task 3, and the
 * scripted answers of an OpenAI-compatible server that plays the agent (by
 * the rules of a model that follows its prompt), the learner and the critic.
 */
import type { ChatCompletionAnswer, ChatCompletionRequest } from "@lessonloop/core/testing";
import { messageText } from "@lessonloop/core/testing";
import { createTruthBook, type Environment } from "../../environments/environment.js";
import type { Session, Task, ToolResult, ToolSpec } from "../../environments/world.js";

export const DRIFT_AT = 3;
const CUSTOMERS: Record<string, string> = { ACME: "C-1", Initech: "C-2", Hooli: "C-3", Umbrella: "C-4" };
const ORDERS = [
  ["ACME", "12.50"],
  ["Initech", "8.00"],
  ["Hooli", "99.90"],
  ["Umbrella", "42.00"],
] as const;

export const INVOICE_TOOLS: readonly ToolSpec[] = [
  { name: "find_customer", description: "Looks a customer up by name and returns its id.", parameters: { name: "string: the customer's name" }, required: ["name"] },
  {
    name: "create_invoice",
    description: "Creates an invoice for a customer.",
    parameters: { customer_id: "string: the id find_customer returned", amount: "number: the amount in euros, e.g. 12.5" },
    required: ["customer_id", "amount"],
  },
];

/** The lesson the scripted learner proposes: what fixes the drift. */
export const CENTS_LESSON = {
  trigger: "When creating an invoice for a customer with an amount in EUR",
  guidance: "Send the amount as amount_cents, an integer number of cents, instead of amount in euros.",
  rationale: "The invoice API rejected amount and asked for amount_cents.",
  kind: "recovery",
  appliesTo: "agent",
} as const;

function request(customer: string, amount: string): string {
  return `Create an invoice for customer ${customer} of ${amount} EUR.`;
}

const truths = createTruthBook("invoice world");

/** A session of the invoice world at stream point `at`. */
function openSession(task: Task, at: number): Session {
  const [customer = "", amount = "0"] = /customer (\w+) of ([\d.]+) EUR/.exec(task.request)?.slice(1) ?? [];
  const wantCents = Math.round(Number(amount) * 100);
  let invoiced: { customerId: string; cents: number } | undefined;
  return {
    callTool(name: string, args: Record<string, unknown>): ToolResult {
      if (name === "find_customer") {
        const id = CUSTOMERS[String(args["name"])];
        return id === undefined ? { content: `Error: no customer named ${String(args["name"])}`, isError: true } : { content: JSON.stringify({ id }), isError: false };
      }
      if (name === "create_invoice") {
        if (at >= DRIFT_AT && "amount" in args) return { content: "Error: unknown parameter amount; this endpoint takes amount_cents (integer cents)", isError: true };
        const cents = at >= DRIFT_AT ? Number(args["amount_cents"]) : Math.round(Number(args["amount"]) * 100);
        invoiced = { customerId: String(args["customer_id"]), cents };
        return { content: JSON.stringify({ invoice: `INV-${task.index}`, ...invoiced }), isError: false };
      }
      return { content: `Error: no tool named ${name}`, isError: true };
    },
    finish() {
      const passed = invoiced !== undefined && invoiced.customerId === CUSTOMERS[customer] && invoiced.cents === wantCents;
      const detail = passed ? "invoice created with the right amount" : invoiced === undefined ? "no invoice was created" : "the invoice has the wrong customer or amount";
      truths.record(this, { passed, reason: detail });
      return { environment: { passed, detail } };
    },
  };
}

/** The invoice world as a benchmark environment. */
export function createInvoiceWorld(): Environment {
  return {
    name: "api-drift",
    description: "A billing API whose invoice amount changes from euros to integer cents.",
    tools: INVOICE_TOOLS,
    drifts: [{ at: DRIFT_AT, change: "create_invoice takes amount_cents instead of amount", kinds: ["invoice"] }],
    tasks: ({ seed, count }) =>
      Array.from({ length: count }, (_, index) => {
        const [customer, amount] = ORDERS[(index + seed) % ORDERS.length] ?? ORDERS[0];
        return { id: `api-drift#${index}`, index, kind: "invoice", request: request(customer, amount), scope: { tenant: "acme" } };
      }),
    open: openSession,
    truthOf: (session) => truths.truthOf(session),
    oracleLessons: (_task, at) => (at >= DRIFT_AT ? [`${CENTS_LESSON.trigger}: ${CENTS_LESSON.guidance}`] : []),
    gradeLesson: ({ text }, at) => (text.includes("amount_cents") === at >= DRIFT_AT ? "correct" : "incorrect"),
    // Every task is an invoice: a lesson about the invoice amount applies to each.
    lessonApplies: ({ text }) => /\bamount/.test(text),
  };
}

/** The name of the tool a structured-output request forces, or of its JSON schema. */
export function structuredName(request: ChatCompletionRequest): string | undefined {
  const forced = request.tool_choice as { function?: { name?: string } } | undefined;
  return forced?.function?.name ?? request.response_format?.json_schema?.name;
}

/**
 * The agent as a model that follows its prompt: looks the customer up, then
 * creates the invoice — with `amount_cents` when its system prompt says so,
 * else as documented — and then tells the user how it went. It does not
 * retry a failed call, so only what reaches its prompt can fix the drift.
 */
export function agentAnswer(request: ChatCompletionRequest): ChatCompletionAnswer {
  const system = messageText(request.messages.find((message) => message.role === "system"));
  const user = messageText(request.messages.find((message) => message.role === "user"));
  const [customer = "", amount = "0"] = /customer (\w+) of ([\d.]+) EUR/.exec(user)?.slice(1) ?? [];
  const last = request.messages.at(-1);
  if (last?.role !== "tool") return { content: null, toolCalls: [{ name: "find_customer", arguments: { name: customer } }] };
  const result = messageText(last);
  if (result.startsWith("Error")) return { content: `Sorry, that did not work: ${result}` };
  const called = request.messages.flatMap((message) => message.tool_calls ?? []).find((call) => call.id === last.tool_call_id);
  if (called?.function.name === "find_customer") {
    const { id } = JSON.parse(result) as { id: string };
    const args = system.includes("amount_cents") ? { customer_id: id, amount_cents: Math.round(Number(amount) * 100) } : { customer_id: id, amount: Number(amount) };
    return { content: null, toolCalls: [{ name: "create_invoice", arguments: args }] };
  }
  return { content: `Done: ${result}` };
}

/** The learner (proposes the cents lesson, compares it as the same), or an error for anything else. */
export function learningAnswer(request: ChatCompletionRequest): ChatCompletionAnswer | Error {
  const name = structuredName(request);
  const value =
    name === "propose_lessons"
      ? { lessons: [CENTS_LESSON] }
      : name === "compare_lessons"
        ? { relation: "same", reason: "Both say to send integer cents as amount_cents." }
        : undefined;
  if (value === undefined) return new Error(`the scripted server has no answer for ${name ?? "a request without a structured-output name"}`);
  // Answered the way the request asked: a forced tool call, or JSON text for response_format.
  return request.tool_choice === undefined ? { content: JSON.stringify(value) } : { content: null, toolCalls: [{ name: name as string, arguments: value }] };
}

/** Routes a request to the agent's or the learner's rules. */
export function invoiceWorldAnswer(request: ChatCompletionRequest): ChatCompletionAnswer | Error {
  return request.tools?.some((tool) => tool.function.name === "create_invoice") ? agentAnswer(request) : learningAnswer(request);
}
