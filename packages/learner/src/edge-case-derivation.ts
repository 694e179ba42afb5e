import type { Judgement } from "@lessonloop/critic";
import { type EdgeCase, type EdgeCaseCheck, type Episode } from "@lessonloop/core";
import { clip, objectionsIn } from "@lessonloop/core/internal";

/** What `toEdgeCase` decides; the learner adds id, input, scope, origin episode and time. */
export interface EdgeCaseDraft {
  kind: EdgeCase["kind"];
  check: EdgeCaseCheck;
  /** Default: `from:<status>` and `signal:<source>`. */
  tags?: string[];
}

/** Turns a judged episode into an edge case, several (one per fault the episode shows), or none. */
export type ToEdgeCase = (episode: Episode, judgement: Judgement) => EdgeCaseDraft | readonly EdgeCaseDraft[] | undefined;

const MAX_FACTS = 5;
const MAX_RUBRIC = 4_000;

/** The last thing the agent said: its final answer. */
function finalAnswer(episode: Episode): string | undefined {
  for (let index = episode.trajectory.length - 1; index >= 0; index--) {
    const step = episode.trajectory[index];
    if (step?.type === "message" && step.role === "assistant" && step.content.trim() !== "") return step.content;
  }
  return undefined;
}

/**
 * Key facts of an answer, the kind a correct answer must repeat: quoted text,
 * numbers and identifiers with digits (`12.50`, `A-17`, `2026-03-01`). Words
 * alone are not facts: a rewording would fail the check.
 */
export function keyFacts(answer: string, max = MAX_FACTS): string[] {
  const facts: string[] = [];
  const add = (fact: string) => {
    const trimmed = fact.trim().replace(/[.,;:]+$/, "");
    if (trimmed.length < 2 || trimmed.length > 200) return;
    if (facts.some((known) => known.toLowerCase() === trimmed.toLowerCase())) return;
    facts.push(trimmed);
  };
  for (const match of answer.matchAll(/"([^"\n]{2,100})"|“([^”\n]{2,100})”/g)) add(match[1] ?? match[2] ?? "");
  for (const match of answer.matchAll(/(?:[\p{L}\p{N}]+[-/.:])*[\p{L}\p{N}]*\p{N}[\p{L}\p{N}]*(?:[.,:/-][\p{L}\p{N}]+)*/gu)) add(match[0]);
  return facts.slice(0, max);
}

/** The last tool call whose result was not an error. */
function lastSuccessfulCall(episode: Episode): { name: string; args: Record<string, unknown> } | undefined {
  const { trajectory } = episode;
  for (let index = trajectory.length - 1; index >= 0; index--) {
    const step = trajectory[index];
    if (step?.type !== "tool_result" || step.isError) continue;
    const call = trajectory.find((candidate) => candidate.type === "tool_call" && candidate.id === step.callId);
    if (call?.type === "tool_call") return { name: call.name, args: { ...call.args } };
  }
  return undefined;
}

/**
 * The rubric of one of the user's objections: the agent passes when the user
 * would not raise it again nor anything they had not raised — the other
 * objections are other cases. The objections are quoted as JSON strings (data, not instructions).
 */
export function objectionRubric(objections: readonly string[], objection: string): string {
  return clip(
    `An earlier run of this task failed: the user raised ${objections.length} objections, ${objections.map((text) => JSON.stringify(text)).join(", ")}. ` +
      `This case checks one of them: ${JSON.stringify(objection)}. Pass only if the agent completes the task without drawing that objection again ` +
      "and without drawing any objection that was not raised before; the other objections may remain.",
    MAX_RUBRIC,
  );
}

/**
 * The default edge case of a judged episode:
 *
 * - **failure** → `must_pass`: the evaluator's check when it named one, else a
 *   rubric built from the critic's summary and the error — one per objection
 *   when the user's feedback raised several (a lesson that fixes one of them
 *   shows a fix on its case; one rubric for all would fail until every fault
 *   is fixed at once);
 * - **recovered** → `must_pass`: the evaluator's check, else the tool call that
 *   worked (the agent should make it right away);
 * - **success** → `regression`: the evaluator's check, else the key facts of
 *   the final answer (`answer.mustContain`), else the last successful tool
 *   call, else a rubric from the summary;
 * - **unknown** → none: a guess is no test.
 */
export const defaultToEdgeCase: ToEdgeCase = (episode, judgement) => {
  const { status, check, summary } = judgement;
  if (status === "unknown") return undefined;
  if (status === "failure") {
    const objections = check === undefined && judgement.signal.source === "user_feedback" ? objectionsIn(judgement.signal.detail) : [];
    if (objections.length > 1) return objections.map((objection) => ({ kind: "must_pass", check: { type: "rubric", rubric: objectionRubric(objections, objection) } }));
    const error = judgement.failure?.error;
    const said = error === undefined || summary.includes(error) ? summary : `${summary} Error: ${error}`;
    const rubric = clip(`An earlier run of this task failed. ${said} Pass only if the agent completes the task without this failure.`, MAX_RUBRIC);
    return { kind: "must_pass", check: check ?? { type: "rubric", rubric } };
  }
  if (status === "recovered") {
    if (check !== undefined) return { kind: "must_pass", check };
    const retry = judgement.recovery?.retryCall;
    if (retry !== undefined) return { kind: "must_pass", check: { type: "tool_call", name: retry.name, args: retry.args } };
    const rubric = clip(`An earlier run of this task hit a tool error before it succeeded. ${summary} Pass only if the agent completes the task without that error.`, MAX_RUBRIC);
    return { kind: "must_pass", check: { type: "rubric", rubric } };
  }
  if (check !== undefined) return { kind: "regression", check };
  const answer = finalAnswer(episode);
  const facts = answer === undefined ? [] : keyFacts(answer);
  if (facts.length > 0) return { kind: "regression", check: { type: "answer", mustContain: facts, mustNotContain: [] } };
  const call = lastSuccessfulCall(episode);
  if (call !== undefined) return { kind: "regression", check: { type: "tool_call", ...call } };
  const rubric = clip(`An earlier run of this task succeeded. ${summary} Pass if the agent completes the task as well.`, MAX_RUBRIC);
  return { kind: "regression", check: { type: "rubric", rubric } };
};
