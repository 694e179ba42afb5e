import type { BaseMessage } from "@langchain/core/messages";
import {
  InMemoryEdgeCaseStore,
  createLexicalEmbedder,
  type EdgeCaseCheck,
  type EdgeCaseInput,
  type Lesson,
  type LessonInput,
  type Scope,
  type Vote,
} from "@lessonloop/core";
import { type CaseEvidence } from "@lessonloop/core/internal";
import { lessonFixture } from "@lessonloop/core/conformance";
import { ScriptedChatModel, type ScriptedAnswer } from "@lessonloop/core/testing";
import type { AgentDecision } from "../agent-decision.js";
import type { ReplayOutcome, ReplayRequest, ReplayRunner } from "../replay-runner.js";

export const FIXED_TIME = "2026-01-01T00:00:00.000Z";
export const SCOPE: Scope = { tenant: "shop" };

const embedder = createLexicalEmbedder();

/**
 * An edge-case store of the test's own, in memory: it passes the same
 * conformance suite as the Chroma one, so the ensemble's tests need no server.
 */
export async function openCaseStore(cases: readonly EdgeCaseInput[] = []): Promise<InMemoryEdgeCaseStore> {
  const store = new InMemoryEdgeCaseStore({ embedder });
  if (cases.length > 0) await store.add(cases);
  return store;
}

export function edgeCase(
  id: string,
  input: string,
  check: EdgeCaseCheck,
  kind: EdgeCaseInput["kind"] = "regression",
  scope: Scope = SCOPE,
): EdgeCaseInput {
  return { id, input, check, kind, scope, tags: [], createdAt: FIXED_TIME };
}

export const answerCheck = (mustContain: string[], mustNotContain: string[] = []): EdgeCaseCheck => ({
  type: "answer",
  mustContain,
  mustNotContain,
});

export function lesson(id: string, overrides: Partial<LessonInput> = {}): LessonInput {
  return lessonFixture(id, { scope: SCOPE, provenance: { agent: "learner", model: "scripted", proposedAt: FIXED_TIME }, ...overrides });
}

export function vote(validator: string, decision: Vote["decision"], evidence: CaseEvidence[] = [], lessonId = "lesson-1"): Vote {
  return { validator, lessonId, decision, reason: `${decision} by ${validator}`, evidence, castAt: FIXED_TIME };
}

/** The text of every message of a call, joined. */
export function textOf(messages: readonly BaseMessage[]): string {
  return messages.map((message) => (typeof message.content === "string" ? message.content : JSON.stringify(message.content))).join("\n");
}

/** The task and the lesson guidance (if any) a role-play call was given. */
export function readRolePlay(messages: readonly BaseMessage[]): { task: string; system: string } {
  const system = typeof messages[0]?.content === "string" ? messages[0].content : "";
  const human = typeof messages[1]?.content === "string" ? messages[1].content : "";
  return { task: human, system };
}

/**
 * A scripted model that plays a shop's support agent: `behave` maps the task
 * text and the system prompt (holding the lesson, when given) to a decision.
 */
export function agentModel(
  behave: (task: string, system: string) => AgentDecision | ScriptedAnswer,
  options: { name?: string; latencyMs?: number } = {},
): ScriptedChatModel {
  return new ScriptedChatModel({
    name: options.name ?? "agent",
    latencyMs: options.latencyMs ?? 0,
    responses: ({ messages }) => {
      const { task, system } = readRolePlay(messages);
      const decision = behave(task, system);
      if (typeof decision === "string" || decision instanceof Error || !("type" in decision)) return decision;
      return decision.type === "answer"
        ? { structured: { action: "answer", answer: decision.answer } }
        : { structured: { action: "tool_call", tool: decision.name, args: decision.args } };
    },
  });
}

/**
 * A support agent: without a lesson it answers by the shop's rules. It follows
 * the two refund lessons below the way a model would: with "refund everything"
 * in its context it calls `issue_refund` on every refund request; with "refund
 * damaged parcels" only when the parcel arrived damaged.
 */
export function shopAgent(): (task: string, system: string) => AgentDecision {
  return (task, system) => {
    const order = /order (\d+)/i.exec(task)?.[1] ?? "0";
    const refundAll = system.includes(REFUND_EVERYTHING.trigger) && /refund/i.test(task);
    const refundDamaged = system.includes(REFUND_DAMAGED.trigger) && /damaged/i.test(task);
    if (refundAll || refundDamaged) return { type: "tool_call", name: "issue_refund", args: { orderId: order } };
    if (/damaged/i.test(task)) return { type: "answer", answer: "Please send us a photo and contact our support team." };
    if (/30 days/i.test(task)) return { type: "answer", answer: `Order ${order} is past our 30-day refund window, sorry.` };
    if (/gift card/i.test(task)) return { type: "answer", answer: "Sorry, gift cards are not refundable." };
    if (/password/i.test(task)) return { type: "answer", answer: "Use the reset link we just emailed you." };
    if (/track/i.test(task)) return { type: "tool_call", name: "track_parcel", args: { orderId: order } };
    return { type: "answer", answer: "How can I help?" };
  };
}

/** The shop's stored cases: two regressions a refund-everything lesson breaks, and cases it does not touch. */
export const SHOP_CASES: EdgeCaseInput[] = [
  edgeCase("reg-late-refund", "A customer asks for a refund on order 77, bought more than 30 days ago", answerCheck(["30-day"], ["refunded"])),
  edgeCase("reg-gift-card", "A customer asks for a refund on a gift card bought with order 12", answerCheck(["not refundable"])),
  edgeCase("reg-password", "A customer cannot log in after a password change", answerCheck(["reset link"])),
  edgeCase("reg-tracking", "A customer wants to track the parcel of order 31", { type: "tool_call", name: "track_parcel", args: { orderId: "31" } }),
];

/** The failure that motivated the lesson: a damaged parcel should be refunded. */
export const DAMAGED_PARCEL: EdgeCaseInput = edgeCase(
  "must-damaged-parcel",
  "A customer asks for a refund because the parcel of order 42 arrived damaged",
  { type: "tool_call", name: "issue_refund", args: { orderId: "42" } },
  "must_pass",
);

/** Plausible but wrong: refund every refund request at once. */
export const REFUND_EVERYTHING = lesson("refund-everything", {
  trigger: "a customer asks for a refund",
  guidance: "call issue_refund for the order right away",
  kind: "strategy",
});

/** Right: refund damaged parcels. */
export const REFUND_DAMAGED = lesson("refund-damaged", {
  trigger: "a customer reports a parcel that arrived damaged",
  guidance: "call issue_refund for the order right away",
  kind: "recovery",
});

/** A runner whose results come from a table: `outcome(caseId, lesson)`; it records every request. */
export function tableRunner(outcome: (caseId: string, lesson: Lesson | undefined, request: ReplayRequest) => ReplayOutcome | Promise<ReplayOutcome>) {
  const requests: ReplayRequest[] = [];
  const runner: ReplayRunner = {
    async replay(request) {
      requests.push(request);
      return outcome(request.edgeCase.id, request.lesson, request);
    },
  };
  return { runner, requests };
}

/** Resolves when `signal` aborts (rejecting with its reason), never otherwise: a hanging call that honours its signal. */
export function hangUntilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}
