import { ToolMessage, type BaseMessage } from "@langchain/core/messages";
import { EpisodeSchema, type Clock, type Episode, type IdGenerator, type Outcome, type Scope, type TrajectoryStep } from "@lessonloop/core";
import { parseWith, clip } from "@lessonloop/core/internal";

/** The longest text one trajectory step keeps (the episode schema's bound). */
const MAX_STEP_TEXT = 100_000;
/** Most steps an episode keeps: the last ones, where a run ends (the episode schema's bound). */
const MAX_STEPS = 1_000;

/** A message's text: string content as is, content blocks' text joined, anything else as JSON. */
export function messageText(message: BaseMessage): string {
  const { content } = message;
  if (typeof content === "string") return content;
  const parts: string[] = [];
  for (const block of content) {
    if (typeof block === "string") parts.push(block);
    else if (block.type === "text" && typeof block.text === "string") parts.push(block.text);
    else parts.push(JSON.stringify(block));
  }
  return parts.join("");
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function roleOf(type: string): "system" | "user" | "assistant" | undefined {
  if (type === "system") return "system";
  if (type === "human") return "user";
  if (type === "ai") return "assistant";
  return undefined;
}

export interface TrajectoryOptions {
  /** Messages with these ids are left out, e.g. the retriever's lessons message. */
  skipIds?: ReadonlySet<string>;
}

/**
 * Turns a LangChain message list into trajectory steps: human, system and AI
 * text as messages, each AI tool call as a `tool_call`, each tool message as a
 * `tool_result` (an error when its `status` is `"error"`, as LangGraph's
 * `ToolNode` marks a tool that threw). Texts are clipped, and only the last
 * 1,000 steps kept, to the episode schema's bounds.
 */
export function trajectoryFromMessages(messages: readonly BaseMessage[], { skipIds = new Set() }: TrajectoryOptions = {}): TrajectoryStep[] {
  const steps: TrajectoryStep[] = [];
  const callNames = new Map<string, string>();
  for (const message of messages) {
    if (message.id !== undefined && skipIds.has(message.id)) continue;
    const type = message.getType();
    if (ToolMessage.isInstance(message)) {
      const callId = message.tool_call_id || "unknown";
      const status = message.status;
      steps.push({
        type: "tool_result",
        callId: clip(callId, 200),
        name: clip(message.name ?? callNames.get(callId) ?? "unknown", 200),
        content: clip(messageText(message), MAX_STEP_TEXT),
        isError: status === "error",
      });
      continue;
    }
    const role = roleOf(type);
    if (role === undefined) continue;
    const text = messageText(message);
    if (text.trim() !== "" || role !== "assistant") steps.push({ type: "message", role, content: clip(text, MAX_STEP_TEXT) });
    const toolCalls: unknown = "tool_calls" in message ? message.tool_calls : undefined;
    if (role !== "assistant" || !Array.isArray(toolCalls)) continue;
    for (const [index, call] of toolCalls.entries()) {
      if (!isRecord(call) || typeof call["name"] !== "string" || call["name"] === "") continue;
      const id = typeof call["id"] === "string" && call["id"] !== "" ? call["id"] : `call-${steps.length}-${index}`;
      callNames.set(id, call["name"]);
      steps.push({ type: "tool_call", id: clip(id, 200), name: clip(call["name"], 200), args: isRecord(call["args"]) ? call["args"] : {} });
    }
  }
  return steps.length > MAX_STEPS ? steps.slice(steps.length - MAX_STEPS) : steps;
}

/** What one run left, from which an episode is built. */
export interface RecordedRun {
  /** The task: the run's input text. */
  input: string;
  /** What happened: messages, tool calls and results. */
  trajectory: readonly TrajectoryStep[];
  /** Whose run it was. */
  scope: Scope;
  /** The memory version the run was served from. */
  memoryVersion: number;
  /** Ids of the lessons the retriever put into the run's context. */
  servedLessons: readonly string[];
  /** When the run started (ISO 8601). */
  startedAt: string;
  /** An outcome the environment already knows; default `unknown` (the critic decides). */
  outcome?: Outcome;
}

export interface EpisodeRecorderParams {
  /** Ids of episodes. */
  ids: IdGenerator;
  /** Stamps `endedAt`. */
  clock: Clock;
}

/** Builds the `Episode` of a finished run (parsed: a bad value is an `invalid_input` error naming the field). */
export type EpisodeRecorder = (run: RecordedRun) => Episode;

/**
 * The episode recorder: turns what a run left (its input, trajectory, scope,
 * pinned memory version and the lessons it was served) into an `Episode` for
 * the learning path. Its outcome stays `unknown` unless the run says otherwise:
 * the critic decides it from the trajectory's tool errors, user feedback, the
 * evaluator or its judge, and the learning graph records it to the ledger.
 */
export function createEpisodeRecorder({ ids, clock }: EpisodeRecorderParams): EpisodeRecorder {
  return (run) =>
    parseWith(
      EpisodeSchema,
      {
        id: ids(),
        // Clipped by the schema, to the limit edge cases share (TASK_INPUT_LIMIT): one path for every task.
        input: run.input,
        trajectory: [...run.trajectory],
        outcome: run.outcome ?? { status: "unknown", signal: { source: "none", detail: "" } },
        scope: run.scope,
        memoryVersion: run.memoryVersion,
        servedLessons: [...new Set(run.servedLessons)].slice(0, 100),
        startedAt: run.startedAt,
        endedAt: clock.now().toISOString(),
      },
      "recorded episode",
    );
}
