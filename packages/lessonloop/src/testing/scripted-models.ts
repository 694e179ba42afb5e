/**
 * Scripted learner and peer models: what `createLearningLoop` asks its models,
 * answered by your functions, so a graph with learning runs offline in tests.
 * Built on `ScriptedChatModel`; each model records its calls in `model.calls`.
 */
import type { BaseMessage } from "@langchain/core/messages";
import { ScriptedChatModel, type ScriptedAnswer, type ScriptedCall } from "@lessonloop/core/testing";
import type { AppliesTo, LessonRelation, ProposedLesson } from "@lessonloop/learner";

/** How the critic's judge (`judge_episode`) rates an episode no deterministic signal decided. */
export interface ScriptedEpisodeJudgement {
  status: "success" | "failure" | "unknown";
  /** One or two sentences: what went wrong, or what the agent did right. */
  summary: string;
  /** For a failure, the index of the step where it went wrong; otherwise null. */
  failingStep: number | null;
}

/** A `repair_lesson` answer: a narrowed lesson, or giving up. */
export type ScriptedRepair =
  | { giveUp: true; reason: string }
  | { giveUp: false; reason: string; lesson: { trigger: string; guidance: string; rationale: string; appliesTo: AppliesTo } };

/** An answer, or a function of the call that returns one. */
type Scripted<T> = T | ((call: ScriptedCall) => T);

export interface ScriptedLearnerModelParams {
  /** The lessons `propose_lessons` proposes for an episode (an empty list for none). */
  lessons: Scripted<readonly ProposedLesson[]>;
  /** How a proposal relates to the live lesson it nearly duplicates (`compare_lessons`). Default `"different"`. */
  relation?: Scripted<LessonRelation>;
  /** The answer to `repair_lesson` (a rejected lesson narrowed). Default giving up. */
  repair?: Scripted<ScriptedRepair>;
  /** The answer to `judge_episode` (the critic's judge, when it is this model). Default `unknown`. */
  judgement?: Scripted<ScriptedEpisodeJudgement>;
  /** Model name, recorded in lessons' provenance. Default `"scripted-learner"`. */
  name?: string;
  /** Delay before each answer, in ms. Default 0. */
  latencyMs?: number;
}

function answer<T>(scripted: Scripted<T>, call: ScriptedCall): T {
  return typeof scripted === "function" ? (scripted as (call: ScriptedCall) => T)(call) : scripted;
}

/** The name of the tool a structured-output call forced: which question the model is asked. */
function askedFor(call: ScriptedCall): string | undefined {
  return call.tools[0]?.name;
}

/**
 * A learner model for `createLearningLoop({ learnerModel })` that answers the
 * learner's `propose_lessons`, `compare_lessons` and `repair_lesson` and the
 * critic's `judge_episode` as scripted; any other call throws, naming it.
 */
export function scriptedLearnerModel({
  lessons,
  relation = "different",
  repair = { giveUp: true, reason: "the scripted learner does not repair lessons" },
  judgement = { status: "unknown", summary: "the scripted learner does not judge episodes", failingStep: null },
  name = "scripted-learner",
  latencyMs = 0,
}: ScriptedLearnerModelParams): ScriptedChatModel {
  return new ScriptedChatModel({
    name,
    latencyMs,
    responses: (call): ScriptedAnswer => {
      const tool = askedFor(call);
      if (tool === "propose_lessons") return { structured: { lessons: [...answer(lessons, call)] } };
      if (tool === "compare_lessons") return { structured: { relation: answer(relation, call), reason: "scripted" } };
      if (tool === "repair_lesson") return { structured: { ...answer(repair, call) } };
      if (tool === "judge_episode") return { structured: { ...answer(judgement, call) } };
      return new Error(`The scripted learner model "${name}" was asked ${tool === undefined ? "without a tool" : `"${tool}"`}; it answers propose_lessons, compare_lessons, repair_lesson and judge_episode.`);
    },
  });
}

/** A lesson as the role-play shows it to the peer: its trigger and guidance. */
export interface ShownLesson {
  appliesWhen: string;
  whatToDo: string;
}

/** The agent's next step as a peer role-plays it (`agent_decision`). */
export type PeerDecision = { answer: string } | { tool: string; args?: Record<string, unknown> };

/** What a peer is shown when it role-plays the agent on a stored case. */
export interface RolePlayRequest {
  /** The stored case's task. */
  task: string;
  /** The lessons in the agent's context: none for the baseline replay, the candidate (and companions) for the other. */
  lessons: ShownLesson[];
  /** The whole call, for anything else (the system prompt names the agent and its tools). */
  call: ScriptedCall;
}

/** What a peer is shown when it judges a decision against a case's rubric (`rubric_judgement`). */
export interface RubricRequest {
  task: string;
  /** The role-played decision, as text. */
  decision: string;
  rubric: string;
  call: ScriptedCall;
}

export interface ScriptedPeerModelParams {
  /** Model name; each peer needs its own (validators are told apart by it). */
  name: string;
  /** The agent's next step on a task with the lessons shown (`agent_decision`). */
  decide: (request: RolePlayRequest) => PeerDecision;
  /** Whether a decision satisfies a rubric (`rubric_judgement`). Default: a rubric case fails, saying no judge was scripted. */
  judge?: (request: RubricRequest) => boolean | { passed: boolean; reason: string };
  /** Delay before each answer, in ms. Default 0. */
  latencyMs?: number;
}

function text(message: BaseMessage | undefined): string {
  if (message === undefined) return "";
  return typeof message.content === "string" ? message.content : JSON.stringify(message.content);
}

/** The text of `source` between `start` and `end` (or its end). */
function between(source: string, start: string, end?: string): string {
  const from = source.indexOf(start);
  if (from < 0) return "";
  const rest = source.slice(from + start.length);
  const to = end === undefined ? -1 : rest.indexOf(end);
  return to < 0 ? rest : rest.slice(0, to);
}

/** The lessons the role-play's system prompt lists, one "Applies when" / "What to do" pair each. */
function shownLessons(system: string): ShownLesson[] {
  const lessons: ShownLesson[] = [];
  for (const match of system.matchAll(/^- Applies when: (.*)\n- What to do: (.*)$/gm)) lessons.push({ appliesWhen: match[1] ?? "", whatToDo: match[2] ?? "" });
  return lessons;
}

/**
 * A peer validator's model for `createLearningLoop({ validatorModels })` with
 * the default role-play runner: it answers `agent_decision` with `decide` and
 * `rubric_judgement` with `judge`; any other call throws, naming it.
 */
export function scriptedPeerModel({ name, decide, judge, latencyMs = 0 }: ScriptedPeerModelParams): ScriptedChatModel {
  return new ScriptedChatModel({
    name,
    latencyMs,
    responses: (call): ScriptedAnswer => {
      const tool = askedFor(call);
      const system = text(call.messages.find((message) => message.getType() === "system"));
      const human = text(call.messages.at(-1));
      if (tool === "agent_decision") {
        const decision = decide({ task: between(human, "Task:\n", "\n\nWhat is the agent's next step?"), lessons: shownLessons(system), call });
        return "answer" in decision
          ? { structured: { action: "answer", answer: decision.answer } }
          : { structured: { action: "tool_call", tool: decision.tool, args: decision.args ?? {} } };
      }
      if (tool === "rubric_judgement") {
        if (judge === undefined) return { structured: { passed: false, reason: `peer "${name}" has no scripted judge: pass judge to scriptedPeerModel` } };
        const verdict = judge({
          task: between(human, "Task:\n", "\n\nThe agent's decision:"),
          decision: between(human, "The agent's decision:\n", "\n\nRubric:"),
          rubric: between(human, "Rubric:\n"),
          call,
        });
        return { structured: typeof verdict === "boolean" ? { passed: verdict, reason: "scripted" } : verdict };
      }
      return new Error(`The scripted peer model "${name}" was asked ${tool === undefined ? "without a tool" : `"${tool}"`}; it answers agent_decision and rubric_judgement.`);
    },
  });
}
