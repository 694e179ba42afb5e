import { createCritic, type Evaluator, type Judgement } from "@lessonloop/critic";
import type { EpisodeInput } from "@lessonloop/core";
import { refundEpisodeFixture } from "@lessonloop/core/conformance";
import { ScriptedChatModel, createManualClock, type ScriptedAnswer } from "@lessonloop/core/testing";

export const clock = createManualClock("2026-03-01T10:00:00.000Z");
export const NOW = "2026-03-01T10:00:00.000Z";
export const scope = { tenant: "acme", user: "ana", agent: "billing" };

const base = {
  input: "Refund 12.50 EUR on order A-17.",
  outcome: { status: "unknown", signal: { source: "none", detail: "" } },
  scope,
  memoryVersion: 3,
  startedAt: "2026-03-01T09:59:00.000Z",
} as const;

/** The refund tool rejected a decimal amount; by default the agent retried in cents and succeeded. */
export function refundEpisode({ id = "ep-1", retried = true }: { id?: string; retried?: boolean } = {}): EpisodeInput {
  return refundEpisodeFixture({ id, retried, scope });
}

/** A run that went well: looked the order up, answered with its facts. */
export function successEpisode({ id = "ep-ok", answer = "Order A-17 ships on 2026-03-04 with DHL." } = {}): EpisodeInput {
  return {
    ...base,
    id,
    input: "When does order A-17 ship?",
    trajectory: [
      { type: "message", role: "user", content: "When does order A-17 ship?" },
      { type: "tool_call", id: "c1", name: "get_order", args: { order: "A-17" } },
      { type: "tool_result", callId: "c1", name: "get_order", content: '{"status":"packed","ships":"2026-03-04","carrier":"DHL"}', isError: false },
      { type: "message", role: "assistant", content: answer },
    ],
  };
}

/** The critic's judgement of an episode, decided deterministically (no judge model). */
export async function judge(
  episode: EpisodeInput,
  options: { evaluator?: Evaluator; feedback?: "positive" | "negative"; feedbackText?: string } = {},
): Promise<Judgement> {
  const critic = createCritic({ clock, evaluator: options.evaluator });
  const feedback = options.feedback === undefined ? undefined : { sentiment: options.feedback, text: options.feedbackText ?? `${options.feedback} feedback` };
  return (await critic({ episode, feedback })).judgement;
}

/** A lesson as the learner model answers it. */
export function proposal(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    trigger: "When the refund API rejects the amount with 'amount must be an integer'",
    guidance: "Send the refund amount in cents as an integer, not in dollars.",
    rationale: "The refund failed with a decimal amount and worked in cents.",
    kind: "recovery",
    appliesTo: "agent",
    ...overrides,
  };
}

/**
 * A learner model: answers `propose_lessons` calls from `lessons` and
 * `compare_lessons` calls from `comparisons`, in order.
 */
export function learnerModel({ lessons = [], comparisons = [] }: { lessons?: ScriptedAnswer[]; comparisons?: ScriptedAnswer[] }): ScriptedChatModel {
  const queues: Record<string, ScriptedAnswer[]> = { propose_lessons: [...lessons], compare_lessons: [...comparisons] };
  return new ScriptedChatModel({
    name: "learner-model",
    responses: ({ tools }) => {
      const tool = tools[0]?.name ?? "(no tool)";
      const answer = queues[tool]?.shift();
      if (answer === undefined) throw new Error(`learnerModel: no scripted answer left for ${tool}`);
      return answer;
    },
  });
}

/** The calls a scripted model got for one structured-output tool. */
export function callsOf(model: ScriptedChatModel, tool: "propose_lessons" | "compare_lessons") {
  return model.calls.filter((call) => call.tools[0]?.name === tool);
}
