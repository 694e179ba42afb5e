import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import { tool, type StructuredToolInterface } from "@langchain/core/tools";
import type { Lesson } from "@lessonloop/core";
import { ScriptedChatModel, type ScriptedCall, type ScriptedMessage } from "@lessonloop/core/testing";
import type { AgentDecision } from "@lessonloop/validator-ensemble";
import { z } from "zod";

/** The members of the crew; each is also a peer validator of the others' lessons. */
export const CREW = ["billing", "shipping", "technical"] as const;
export type MemberName = (typeof CREW)[number];

/** The help desk's systems, simulated: each tool accepts only ids in its system's own format. */
const ORDER_ID = /^ORD-\d+$/;
const TRACKING_NUMBER = /^1Z[0-9A-Z]{8,}$/;
const DEVICE_SERIAL = /^SN-\d+$/;

function orderTool(name: string, description: string, done: (orderId: string) => string): StructuredToolInterface {
  return tool(
    ({ orderId }: { orderId: string }) => {
      if (!ORDER_ID.test(orderId)) return `ERROR: no order "${orderId}". Order ids look like ORD-<number>.`;
      return done(orderId);
    },
    { name, description, schema: z.object({ orderId: z.string().describe("The order id") }) },
  );
}

/** Each member's tools. A tool answers "ERROR: …" instead of throwing, as many real APIs do. */
export const MEMBER_TOOLS: Record<MemberName, StructuredToolInterface[]> = {
  billing: [
    orderTool("issue_refund", "Refund an order in full.", (orderId) => `Refund issued for ${orderId}.`),
    orderTool("send_invoice", "Email the invoice of an order to the customer.", (orderId) => `Invoice for ${orderId} sent.`),
  ],
  shipping: [
    tool(
      ({ trackingNumber }: { trackingNumber: string }) =>
        TRACKING_NUMBER.test(trackingNumber) ? `Parcel ${trackingNumber} is out for delivery.` : `ERROR: no parcel with tracking number "${trackingNumber}".`,
      {
        name: "track_parcel",
        description: "Where a parcel is, by the carrier's tracking number.",
        schema: z.object({ trackingNumber: z.string().describe("The carrier's tracking number") }),
      },
    ),
    orderTool("reship_order", "Send an order again, e.g. when it arrived damaged.", (orderId) => `Replacement for ${orderId} shipped.`),
  ],
  technical: [
    tool(
      ({ serial }: { serial: string }) => (DEVICE_SERIAL.test(serial) ? `Device ${serial} is online; firmware up to date.` : `ERROR: no device "${serial}".`),
      { name: "check_device", description: "Diagnose a customer's device by its serial.", schema: z.object({ serial: z.string().describe("The device serial") }) },
    ),
  ],
};

export function rolePrompt(member: MemberName): string {
  return `You are the ${member} specialist of a customer support crew. Handle the customer's request by calling exactly one of your tools with the ids from the request.`;
}

/** The lesson as the replay-retriever renders it, so a replay sees it exactly as a live run would. */
export function lessonMessage(lesson: Pick<Lesson, "trigger" | "guidance">): SystemMessage {
  return new SystemMessage(
    `Lessons learned from past runs of this agent. Apply each one whose situation matches the current task:\n1. When: ${lesson.trigger}\n   Do: ${lesson.guidance}`,
  );
}

export function textOf(message: BaseMessage): string {
  return typeof message.content === "string" ? message.content : message.content.map((part) => ("text" in part && typeof part.text === "string" ? part.text : "")).join("");
}

/** One decision step of a member: its model, its tools, the messages → a tool call or an answer. */
export async function decide(model: BaseChatModel, member: MemberName, messages: BaseMessage[], signal?: AbortSignal): Promise<{ decision: AgentDecision; message: AIMessage }> {
  if (model.bindTools === undefined) throw new Error(`The model of ${member} cannot call tools; give the crew a tool-calling chat model.`);
  const bound = model.bindTools(MEMBER_TOOLS[member]);
  const reply = await bound.invoke([new SystemMessage(rolePrompt(member)), ...messages], { signal });
  const message = new AIMessage({ content: reply.content, tool_calls: reply.tool_calls ?? [], id: reply.id });
  const call = reply.tool_calls?.[0];
  const decision: AgentDecision = call === undefined ? { type: "answer", answer: textOf(reply) } : { type: "tool_call", name: call.name, args: call.args };
  return { decision, message };
}

/** A request as a live run gives it: the customer's words, then whatever lessons the retriever served. */
export function taskMessages(task: string, lesson?: Pick<Lesson, "trigger" | "guidance">): BaseMessage[] {
  return lesson === undefined ? [new HumanMessage(task)] : [new HumanMessage(task), lessonMessage(lesson)];
}

// ── The offline crew member: a simulated model ──────────────────────────────

const INTENTS: { pattern: RegExp; tool: string; id: "order" | "tracking" | "serial"; arg: string }[] = [
  { pattern: /refund/i, tool: "issue_refund", id: "order", arg: "orderId" },
  { pattern: /invoice/i, tool: "send_invoice", id: "order", arg: "orderId" },
  { pattern: /reship|send .* again|damaged/i, tool: "reship_order", id: "order", arg: "orderId" },
  { pattern: /parcel|track/i, tool: "track_parcel", id: "tracking", arg: "trackingNumber" },
  { pattern: /device|router|serial/i, tool: "check_device", id: "serial", arg: "serial" },
];

const ID_PATTERNS = {
  order: /\border\s+#?((?:ORD-)?\d+)/i,
  tracking: /\b(1Z[0-9A-Z]{8,})\b/,
  serial: /\b(SN-\d+)\b/,
} as const;

/**
 * How a member behaves offline: it picks the tool the request asks for and
 * copies the id as the customer wrote it — unless a lesson in its messages
 * says otherwise. It follows a lesson only if the lesson's text reached it.
 */
function simulatedMember(call: ScriptedCall): ScriptedMessage {
  // After its tool answered, the member reports the answer (createAgent calls the model again).
  const last = call.messages.at(-1);
  if (last?.getType() === "tool") return { content: textOf(last) };
  const task = textOf(call.messages.filter((message) => message.getType() === "human").at(-1) ?? new HumanMessage("?"));
  const lessons = call.messages
    .filter((message) => message.getType() === "system")
    .map(textOf)
    .join("\n");
  const bound = new Set(call.tools.map((boundTool) => boundTool.name));
  const intent = INTENTS.find((candidate) => candidate.pattern.test(task) && bound.has(candidate.tool));
  if (intent === undefined) return { content: "That is not something I can do; another member of the crew should take it." };
  let id = ID_PATTERNS[intent.id].exec(task)?.[1];
  if (id === undefined) return { content: "Which id is it? I could not find one in your message." };
  const prefixEveryId = /prefix every id/i.test(lessons);
  const prefixOrderIds = /order id with the ORD- prefix/i.test(lessons);
  if (!id.startsWith("ORD-") && (prefixEveryId || (prefixOrderIds && intent.id === "order"))) id = `ORD-${id}`;
  return { toolCalls: [{ name: intent.tool, args: { [intent.arg]: id } }] };
}

/** A simulated model for one member (offline mode). */
export function createSimulatedModel(member: MemberName): ScriptedChatModel {
  return new ScriptedChatModel({ responses: simulatedMember, name: `simulated-${member}` });
}
