import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { EpisodeSchema, type Clock, type EdgeCaseCheck, type Episode, type EpisodeInput } from "@lessonloop/core";
import { callStructured, clip, parseWith, systemClock, type RenderTrajectoryOptions, type SignalSource } from "@lessonloop/core/internal";
import { EvaluatorResultSchema, UserFeedbackSchema, type EvaluatorResult, type EvaluatorVerdict, type UserFeedbackInput } from "./critic-state.js";
import {
  JudgementSchema,
  MAX_DETAIL,
  MAX_SUMMARY,
  type Failure,
  type Judgement,
  type JudgementStatus,
  type Recovery,
} from "./judgement.js";
import { DEFAULT_JUDGE_PROMPT, JudgeAnswerSchema, judgeMessages } from "./llm-judge.js";
import { detectMemoryInstructions } from "./memory-instructions.js";
import { failingToolStep, inspectToolErrors, type ToolErrorReport } from "./tool-errors.js";

/** The state the critic reads. */
export interface CriticInput {
  episode?: EpisodeInput | undefined;
  feedback?: UserFeedbackInput | undefined;
}

/** A user-supplied check of an episode: `{ passed, reason }`, or `undefined` when it cannot tell. */
export type Evaluator = (episode: Episode) => Promise<EvaluatorResult | undefined> | EvaluatorResult | undefined;

/** A LangGraph node: reads `episode` (and `feedback`), writes `judgement`. */
export type CriticNode<S extends CriticInput = CriticInput> = (state: S, config?: LangGraphRunnableConfig) => Promise<{ judgement: Judgement }>;

export interface CriticParams<S extends CriticInput = CriticInput> {
  /**
   * The LLM judge, asked (with `withStructuredOutput`) only when no
   * deterministic signal decides. Without one such episodes are `unknown`.
   */
  model?: BaseChatModel;
  /**
   * Your own check of an episode (a test suite, a database query, a rubric
   * you trust), consulted after the environment, user feedback and tool errors.
   * Return `undefined` when it cannot tell. An error it throws propagates.
   */
  evaluator?: Evaluator;
  /**
   * The user's explicit feedback on the episode. Default: the state key
   * `feedback`. The critic does not guess feedback from free text.
   */
  feedback?: (state: S, episode: Episode) => UserFeedbackInput | undefined;
  /**
   * Whether a plain success is worth learning from (a lesson about what
   * worked). Default: never — a success is only kept as a regression case.
   */
  learnFromSuccess?: (episode: Episode) => boolean;
  /** The judge's instructions. Default {@link DEFAULT_JUDGE_PROMPT}. */
  judgePrompt?: string;
  /** How much of the trajectory the judge sees. Defaults: 1,000 characters a step, 12,000 in all. */
  trajectory?: RenderTrajectoryOptions;
  /** Stamps `judgedAt`. Default the system clock. */
  clock?: Clock;
}

/** What decided an episode, before worth-learning is added. */
interface Decision {
  status: JudgementStatus;
  source: SignalSource;
  detail: string;
  summary: string;
  failure?: Failure | undefined;
  recovery?: Recovery | undefined;
  check?: EdgeCaseCheck | undefined;
}

const SOURCE_LABEL: Record<SignalSource, string> = {
  environment: "environment",
  user_feedback: "user",
  evaluator: "evaluator",
  critic: "critic",
  none: "environment",
};

/** A positive signal: success, or `recovered` when a tool failed on the way. */
function positive(tools: ToolErrorReport, signal: Pick<Decision, "source" | "detail" | "summary" | "check">): Decision {
  if (tools.errors.length === 0) return { status: "success", ...signal };
  const { recovery } = tools;
  const failure = recovery === undefined ? failingToolStep(tools) : { step: recovery.errorStep, tool: recovery.failedCall.name, error: recovery.error };
  return { status: "recovered", ...signal, failure, recovery };
}

/** A negative signal: failure, at the unrecovered tool error when there is one. */
function negative(tools: ToolErrorReport, signal: Pick<Decision, "source" | "detail" | "summary" | "check">): Decision {
  return { status: "failure", ...signal, failure: tools.unrecovered ?? { error: clip(signal.detail, MAX_DETAIL) } };
}

function worthLearning(status: JudgementStatus, learnSuccess: () => boolean): Judgement["worthLearning"] {
  switch (status) {
    case "failure":
      return { learn: true, reason: "The episode failed: a lesson could prevent the failure next time." };
    case "recovered":
      return { learn: true, reason: "The agent recovered from a tool error: a recovery lesson could avoid the error next time." };
    case "success":
      return learnSuccess()
        ? { learn: true, reason: "A success marked worth learning by learnFromSuccess." }
        : { learn: false, reason: "A plain success: nothing to correct; the learner may keep it as a regression case." };
    case "unknown":
      return { learn: false, reason: "No signal decided the outcome; nothing is learned from a guess." };
  }
}

/**
 * Creates the critic node. It decides an episode's outcome from the first
 * signal that speaks, in this order:
 *
 * 1. **environment** — an outcome already on the episode (`status` not `unknown`);
 * 2. **user feedback** — positive or negative (neutral decides nothing);
 * 3. **tool errors** — an error never followed by a successful result of the
 *    same tool is a failure; errors that were all retried successfully make
 *    the episode `recovered` (unless the evaluator then fails it);
 * 4. **evaluator** — the `evaluator` you pass in;
 * 5. **LLM judge** — `model`, only when none of the above decided. A malformed
 *    answer or a failed call is retried once; then the outcome is `unknown`.
 *
 * A positive outcome reached after a tool error is `recovered`. Failures and
 * recoveries are worth learning; plain successes only when `learnFromSuccess`
 * says so; `unknown` never.
 *
 * Whatever decided, text in the task input, the user's messages or a tool
 * output that addresses the agent's memory or instructions ("remember from now
 * on …", "SYSTEM: …", "ignore previous instructions") is flagged in
 * `judgement.memoryInstructions` (see `detectMemoryInstructions`). It does not
 * change the outcome; the learner never makes a lesson of it alone.
 */
export function createCritic<S extends CriticInput = CriticInput>({
  model,
  evaluator,
  feedback = (state) => state.feedback,
  learnFromSuccess = () => false,
  judgePrompt = DEFAULT_JUDGE_PROMPT,
  trajectory = {},
  clock = systemClock,
}: CriticParams<S> = {}): CriticNode<S> {
  async function evaluate(episode: Episode): Promise<EvaluatorVerdict | undefined> {
    if (evaluator === undefined) return undefined;
    const result = await evaluator(episode);
    return result === undefined ? undefined : parseWith(EvaluatorResultSchema, result, "evaluator result");
  }

  async function judge(episode: Episode, tools: ToolErrorReport, config: LangGraphRunnableConfig | undefined): Promise<Decision> {
    if (model === undefined) {
      const detail = "No deterministic signal decided the outcome and no judge model is configured.";
      return { status: "unknown", source: "none", detail, summary: detail };
    }
    const steps = episode.trajectory.length;
    const answer = await callStructured({
      model,
      schema: JudgeAnswerSchema,
      name: "judge_episode",
      messages: judgeMessages(episode, judgePrompt, trajectory),
      config,
      refine: ({ failingStep }) =>
        failingStep !== null && failingStep >= steps ? `failingStep: ${failingStep} is not a step of the trajectory (0–${steps - 1})` : undefined,
    });
    if (!answer.ok) {
      const what = answer.reason === "malformed" ? "answered malformed output" : "call failed";
      const detail = clip(`The judge model's ${what} ${answer.attempts} times (last: ${answer.message}); no verdict.`, MAX_DETAIL);
      return { status: "unknown", source: "critic", detail, summary: detail };
    }
    const { status, summary, failingStep } = answer.value;
    const signal = { source: "critic" as const, detail: clip(summary, MAX_DETAIL), summary: clip(summary, MAX_SUMMARY) };
    if (status === "unknown") return { status: "unknown", ...signal };
    if (status === "success") return positive(tools, signal);
    const step = failingStep ?? undefined;
    const failed = step === undefined ? undefined : episode.trajectory[step];
    const failure: Failure = {
      ...(step === undefined ? {} : { step }),
      ...(failed?.type === "tool_result" || failed?.type === "tool_call" ? { tool: failed.name } : {}),
      error: clip(summary, MAX_DETAIL),
    };
    return { status: "failure", ...signal, failure };
  }

  async function decide(state: S, episode: Episode, config: LangGraphRunnableConfig | undefined): Promise<Decision> {
    const tools = inspectToolErrors(episode);

    // 1. The environment already said how it went.
    const { outcome } = episode;
    if (outcome.status !== "unknown") {
      const source = outcome.signal.source === "none" ? "environment" : outcome.signal.source;
      const detail = clip(outcome.signal.detail, MAX_DETAIL);
      const summary = clip(`The ${SOURCE_LABEL[source]} reported ${outcome.status}${detail === "" ? "." : `: ${detail}`}`, MAX_SUMMARY);
      return outcome.status === "success" ? positive(tools, { source, detail, summary }) : negative(tools, { source, detail, summary });
    }

    // 2. The user said so.
    const given = feedback(state, episode);
    if (given !== undefined) {
      const { sentiment, text } = parseWith(UserFeedbackSchema, given, "user feedback");
      if (sentiment !== "neutral") {
        const detail = clip(text === "" ? `${sentiment} feedback` : text, MAX_DETAIL);
        const summary = clip(`The user gave ${sentiment} feedback${text === "" ? "." : `: "${text}"`}`, MAX_SUMMARY);
        const signal = { source: "user_feedback" as const, detail, summary };
        return sentiment === "positive" ? positive(tools, signal) : negative(tools, signal);
      }
    }

    // 3. A tool failed.
    if (tools.unrecovered !== undefined) {
      const { tool = "a tool", error, step } = tools.unrecovered;
      const detail = clip(`Tool "${tool}" failed at step ${step ?? "?"}: ${error}`, MAX_DETAIL);
      const summary = clip(`Tool "${tool}" failed at step ${step ?? "?"} and was not retried successfully: ${error}`, MAX_SUMMARY);
      return { status: "failure", source: "environment", detail, summary, failure: tools.unrecovered };
    }
    if (tools.recovery !== undefined) {
      const { failedCall, errorStep, error, retryStep } = tools.recovery;
      const said = `Tool "${failedCall.name}" failed at step ${errorStep} (${error}) and succeeded when called again at step ${retryStep}.`;
      // A recovered tool says the tool worked in the end, not that the task was done: the evaluator may still fail it.
      const verdict = await evaluate(episode);
      if (verdict?.passed === false) {
        const detail = clip(verdict.reason, MAX_DETAIL);
        return negative(tools, { source: "evaluator", detail, summary: clip(`${said} But the evaluator failed the episode: ${verdict.reason}`, MAX_SUMMARY), check: verdict.check });
      }
      const source = verdict === undefined ? "environment" : "evaluator";
      const detail = clip(verdict === undefined ? said : `${verdict.reason} (${said})`, MAX_DETAIL);
      return positive(tools, { source, detail, summary: clip(said, MAX_SUMMARY), check: verdict?.check });
    }

    // 4. The evaluator decides.
    const verdict = await evaluate(episode);
    if (verdict !== undefined) {
      const detail = clip(verdict.reason, MAX_DETAIL);
      const summary = clip(`The evaluator ${verdict.passed ? "passed" : "failed"} the episode: ${verdict.reason}`, MAX_SUMMARY);
      const signal = { source: "evaluator" as const, detail, summary, check: verdict.check };
      return verdict.passed ? positive(tools, signal) : negative(tools, signal);
    }

    // 5. Nothing deterministic: the judge, if there is one.
    return judge(episode, tools, config);
  }

  /**
   * When the user's word decided: a deterministic signal of the episode that
   * says the opposite. Positive feedback on an episode whose tool failed and
   * was never retried successfully, or any feedback the evaluator disagrees with.
   */
  async function contradiction(episode: Episode, decision: Decision): Promise<Judgement["contradictedBy"]> {
    if (decision.source !== "user_feedback" || decision.status === "unknown") return undefined;
    const praised = decision.status !== "failure";
    const { unrecovered } = inspectToolErrors(episode);
    if (praised && unrecovered !== undefined) {
      const detail = `Tool "${unrecovered.tool ?? "a tool"}" failed at step ${unrecovered.step ?? "?"} and was not retried successfully: ${unrecovered.error}`;
      return { source: "environment", detail: clip(detail, MAX_DETAIL) };
    }
    let verdict: EvaluatorVerdict | undefined;
    try {
      verdict = await evaluate(episode);
    } catch {
      // The user's word decided without the evaluator; an evaluator that fails here only leaves the contradiction unknown.
      return undefined;
    }
    if (verdict === undefined || verdict.passed === praised) return undefined;
    return { source: "evaluator", detail: clip(`The evaluator ${verdict.passed ? "passed" : "failed"} the episode: ${verdict.reason}`, MAX_DETAIL) };
  }

  return async function critic(state, config) {
    const episode = parseWith(EpisodeSchema, state.episode, "episode in state");
    const decision = await decide(state, episode, config);
    const contradictedBy = await contradiction(episode, decision);
    const { status, source, detail, summary, failure, recovery, check } = decision;
    const memoryInstructions = detectMemoryInstructions(episode);
    const judgement: Judgement = {
      episodeId: episode.id,
      status,
      signal: { source, detail },
      summary,
      ...(failure === undefined ? {} : { failure }),
      ...(recovery === undefined ? {} : { recovery }),
      ...(check === undefined ? {} : { check }),
      ...(contradictedBy === undefined ? {} : { contradictedBy }),
      ...(memoryInstructions.length === 0 ? {} : { memoryInstructions }),
      worthLearning: worthLearning(status, () => learnFromSuccess(episode)),
      judgedAt: clock.now().toISOString(),
    };
    return { judgement: parseWith(JudgementSchema, judgement, "judgement") };
  };
}
