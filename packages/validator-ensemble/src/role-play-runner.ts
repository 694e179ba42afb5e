import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import { LessonloopError, type EdgeCase, type Lesson } from "@lessonloop/core";
import { NO_MODEL_USAGE, addModelUsage, promptSafeLessonText, type ModelUsage } from "@lessonloop/core/internal";
import { z } from "zod";
import { describeDecision, evaluateCheck, type AgentDecision } from "./agent-decision.js";
import type { ReplayOutcome, ReplayRequest, ReplayRunner } from "./replay-runner.js";

/** The calls of one replay and the tokens their replies reported. */
class UsageTally {
  usage: ModelUsage = NO_MODEL_USAGE;
  add(reply: BaseMessage): void {
    const reported = (reply as { usage_metadata?: { input_tokens?: number; output_tokens?: number } }).usage_metadata;
    this.usage = addModelUsage(this.usage, { calls: 1, promptTokens: reported?.input_tokens ?? 0, completionTokens: reported?.output_tokens ?? 0 });
  }
}

/** A tool the role-played agent may call, as the model is told about it. */
export interface RolePlayTool {
  name: string;
  description?: string;
}

export interface RolePlayRunnerParams {
  /** The model for validators that bring none of their own. Without it, such a validator's replays cannot run. */
  model?: BaseChatModel;
  /** What the agent is and does, e.g. "A support agent for an online shop". Goes into the system prompt. */
  agentDescription?: string;
  /** Tools the agent can call, so the role-played decision can be a tool call. Default none. */
  tools?: readonly RolePlayTool[];
  /**
   * Instructions to play the agent, used when the validator has no `prompt` of
   * its own. Default {@link DEFAULT_ROLE_PLAY_PROMPT}.
   */
  prompt?: string;
}

/** The default instructions of the role-play. */
export const DEFAULT_ROLE_PLAY_PROMPT =
  "You are role-playing an AI agent to test how it behaves. Given the task, decide the agent's next step " +
  "exactly as the agent would: either a final answer to the user, or one call of one of its tools. " +
  "Do not comment on the test; answer with the decision only.";

/** What the model is asked for: flat, so every structured-output method can carry it. */
const RolePlayDecisionSchema = z
  .object({
    action: z.enum(["answer", "tool_call"]).describe('"answer" for a final answer to the user, "tool_call" to call a tool'),
    answer: z.string().optional().describe('The final answer, when action is "answer"'),
    tool: z.string().optional().describe('The tool to call, when action is "tool_call"'),
    args: z.record(z.string(), z.unknown()).optional().describe("The tool's arguments, when action is \"tool_call\""),
  })
  .describe("The agent's next step on the task");

const RubricJudgementSchema = z
  .object({
    passed: z.boolean().describe("Whether the agent's decision satisfies the rubric"),
    reason: z.string().describe("One sentence: why"),
  })
  .describe("A judgement of the agent's decision against the rubric");

const JUDGE_PROMPT =
  "You judge whether an AI agent's decision on a task satisfies a rubric. Judge by the rubric only, " +
  "strictly: when in doubt it fails.";

/** LangChain marks a structured reply its parser could not read with this code. */
function isParseFailure(error: unknown): boolean {
  return typeof error === "object" && error !== null && "lc_error_code" in error && error.lc_error_code === "OUTPUT_PARSING_FAILURE";
}

/** Runs a structured-output call; a reply that does not fit is `model_output_invalid`. */
async function askStructured<T extends Record<string, unknown>>(
  model: BaseChatModel,
  schema: z.ZodType<T>,
  name: string,
  messages: BaseMessage[],
  signal: AbortSignal,
  what: string,
  spent: UsageTally,
): Promise<T> {
  const invalid = (cause: unknown) =>
    new LessonloopError("model_output_invalid", `The model's ${what} did not fit the expected structure; the replay counts as not run.`, { cause });
  let result: unknown;
  try {
    // The raw reply carries the tokens the model reported; the call inherits the run's callbacks (tracing) as any other.
    const reply = await model.withStructuredOutput(schema, { name, includeRaw: true }).invoke(messages, { signal });
    spent.add(reply.raw);
    if ("parsingError" in reply && reply.parsingError !== undefined) throw reply.parsingError;
    result = reply.parsed;
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    if (isParseFailure(error)) throw invalid(error);
    // A provider or client failure is no decision either: typed, with the cause kept.
    const reason = error instanceof Error ? error.message : String(error);
    throw new LessonloopError("model_output_invalid", `The model gave no ${what}: the call failed (${reason.slice(0, 300)}); the replay counts as not run.`, { cause: error });
  }
  // A reply with no structured part comes back as undefined; some providers hand back unparsed values.
  const parsed = schema.safeParse(result);
  if (!parsed.success) throw invalid(parsed.error);
  return parsed.data;
}

function toDecision(raw: z.infer<typeof RolePlayDecisionSchema>): AgentDecision {
  if (raw.action === "answer") {
    if (raw.answer === undefined) {
      throw new LessonloopError("model_output_invalid", 'The role-played decision has action "answer" but no answer.');
    }
    return { type: "answer", answer: raw.answer };
  }
  const tool = raw.tool?.trim();
  if (tool === undefined || tool === "") {
    throw new LessonloopError("model_output_invalid", 'The role-played decision has action "tool_call" but names no tool.');
  }
  return { type: "tool_call", name: tool, args: raw.args ?? {} };
}

function systemText(base: string, agentDescription: string | undefined, tools: readonly RolePlayTool[], lessons: readonly Lesson[]): string {
  const parts = [base];
  if (agentDescription !== undefined && agentDescription !== "") parts.push(`The agent: ${agentDescription}`);
  parts.push(
    tools.length === 0
      ? "The agent has no tools: its decision is a final answer."
      : `Tools the agent can call:\n${tools.map((tool) => `- ${tool.name}${tool.description ? `: ${tool.description}` : ""}`).join("\n")}`,
  );
  if (lessons.length > 0) {
    parts.push(
      `${lessons.length === 1 ? "A lesson" : "Lessons"} the agent has learned (apply each only when the task matches when it applies):\n` +
        lessons.map((lesson) => `- Applies when: ${promptSafeLessonText(lesson.trigger)}\n- What to do: ${promptSafeLessonText(lesson.guidance)}`).join("\n"),
    );
  }
  return parts.join("\n\n");
}

/**
 * A `ReplayRunner` for agents whose environment cannot be re-executed: it asks
 * the validator's model to role-play the agent's next decision on the case's
 * task — with the lesson in its context or without — and applies the case's check.
 *
 * - `answer` and `tool_call` checks are evaluated in code ({@link evaluateCheck}).
 * - `rubric` checks are judged by the validator's model (structured output);
 *   the judge sees the task, the decision and the rubric, never the lesson.
 * - `environment` checks need a runner that re-executes the agent: the replay
 *   answers `passed: null` ("could not run") without calling any model.
 *
 * Each replay makes one model call, plus one for a rubric. A reply that does
 * not fit the structure is a `model_output_invalid` error, which the ensemble
 * records as a replay that could not run. The abort signal is passed to every call.
 */
export function createRolePlayRunner({ model, agentDescription, tools = [], prompt = DEFAULT_ROLE_PLAY_PROMPT }: RolePlayRunnerParams = {}): ReplayRunner {
  async function decide(chat: BaseChatModel, request: ReplayRequest, spent: UsageTally): Promise<AgentDecision> {
    const { edgeCase, lesson, companions = [], validator, signal } = request;
    const lessons = lesson === undefined ? companions : [lesson, ...companions];
    const messages = [
      new SystemMessage(systemText(validator.prompt ?? prompt, agentDescription, tools, lessons)),
      new HumanMessage(`Task:\n${edgeCase.input}\n\nWhat is the agent's next step?`),
    ];
    const raw = await askStructured(chat, RolePlayDecisionSchema, "agent_decision", messages, signal, "role-played decision", spent);
    return toDecision(raw);
  }

  async function judge(chat: BaseChatModel, edgeCase: EdgeCase, rubric: string, decision: AgentDecision, signal: AbortSignal, spent: UsageTally) {
    const messages = [
      new SystemMessage(JUDGE_PROMPT),
      new HumanMessage(`Task:\n${edgeCase.input}\n\nThe agent's decision:\n${describeDecision(decision, 4_000)}\n\nRubric:\n${rubric}`),
    ];
    return askStructured(chat, RubricJudgementSchema, "rubric_judgement", messages, signal, "rubric judgement", spent);
  }

  return {
    async replay(request): Promise<ReplayOutcome> {
      const { edgeCase, validator, signal } = request;
      signal.throwIfAborted();
      const { check } = edgeCase;
      if (check.type === "environment") {
        return {
          usage: NO_MODEL_USAGE,
          passed: null,
          note: `environment check "${check.predicate}" needs a runner that re-executes the agent; a role-play cannot check it`,
        };
      }
      const chat = validator.model ?? model;
      if (chat === undefined) {
        throw new LessonloopError(
          "invalid_input",
          `Validator "${validator.id}" has no model and createRolePlayRunner was given no default model. Give the validator a model, or pass one to createRolePlayRunner({ model }).`,
        );
      }
      const spent = new UsageTally();
      const decision = await decide(chat, request, spent);
      if (check.type === "rubric") {
        const judgement = await judge(chat, edgeCase, check.rubric, decision, signal, spent);
        return { passed: judgement.passed, output: decision, note: `judge: ${judgement.reason}`, usage: spent.usage };
      }
      return { passed: evaluateCheck(check, decision), output: decision, usage: spent.usage };
    },
  };
}
