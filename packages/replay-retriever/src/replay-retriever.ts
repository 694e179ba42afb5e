import { createHash } from "node:crypto";
import { dispatchCustomEvent } from "@langchain/core/callbacks/dispatch";
import { RemoveMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import { REMOVE_ALL_MESSAGES, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { ScopeSchema, type MemoryPin, type Scope } from "@lessonloop/core";
import { MEMORY_PIN_KEY, parseWith } from "@lessonloop/core/internal";
import { z } from "zod";
import { renderLessonContext, type ServedExample, type ServedLesson, type ServedLogEntry } from "./lesson-context.js";
import { MAX_INPUT_CHARS, createLessonSelector, type LessonSelectionParams } from "./lesson-selection.js";
import { DEGRADED_EVENT, logWarning, warningFor, type RetrieverWarning } from "./retriever-warning.js";

/** The state the retriever reads: messages (by default) and the keys of `LessonContextAnnotation`. */
export interface ReplayRetrieverState {
  messages?: readonly BaseMessage[];
  [MEMORY_PIN_KEY]?: MemoryPin | undefined;
  servedLessons?: readonly ServedLesson[];
  servedExamples?: readonly ServedExample[];
  lessonServedLog?: readonly ServedLogEntry[];
}

/** What the retriever node returns: a state update for `MessagesAnnotation` + `LessonContextAnnotation`. */
export interface ReplayRetrieverUpdate {
  /** The lessons message added, replaced in place or removed; absent when unchanged. */
  messages?: BaseMessage[];
  servedLessons: ServedLesson[];
  servedExamples: ServedExample[];
  /** Written when a run starts (new input): the version it is pinned to. */
  [MEMORY_PIN_KEY]?: MemoryPin;
  /** One entry for this retrieval; absent when memory could not be read. */
  lessonServedLog?: ServedLogEntry[];
}

/** A LangGraph node: `graph.addNode("retrieve_lessons", createReplayRetriever({ … }))`. */
export type ReplayRetrieverNode<S extends ReplayRetrieverState = ReplayRetrieverState> = (
  state: S,
  config: LangGraphRunnableConfig,
) => Promise<ReplayRetrieverUpdate>;

/** The node's params: how lessons are selected ({@link LessonSelectionParams}), and where the run's input, scope and message come from. */
export interface ReplayRetrieverParams<S extends ReplayRetrieverState = ReplayRetrieverState> extends LessonSelectionParams {
  /**
   * The scope of the run: whose lessons apply. Typically the tenant is fixed and
   * the user comes from `config.configurable`. Only lessons that apply to this
   * scope are served; a bad scope throws (it is a bug in the graph, not an outage).
   */
  scope: (state: S, config: LangGraphRunnableConfig) => Scope;
  /**
   * The text lessons are matched to. Default: the text of the last human message
   * in `state.messages`. Return "" or `undefined` for "no input" (nothing is served).
   * A run is pinned to one memory version per input; with the default the input
   * is fingerprinted with the message's id, so the same words sent again start a
   * new run, while a custom input is fingerprinted by its text.
   */
  input?: (state: S) => string | undefined;
  /**
   * The tools the agent may call in this step (e.g. the tools bound to its model):
   * lessons anchored to any of them are served whatever the input's words, still
   * ranked and within the budget. Default: none, so lessons are found by the input's text.
   */
  tools?: (state: S, config: LangGraphRunnableConfig) => readonly string[] | undefined;
  /** Whether to add the rendered lessons as a system message to `messages`. Default true. */
  addMessage?: boolean;
  /**
   * Id of the lessons message: a later retrieval in the thread replaces the
   * message with this id rather than adding another. Default "lessonloop-lessons".
   */
  messageId?: string;
  /**
   * Told about every degradation (memory down, ledger failing, timeout …) with its
   * cause. Default: `console.warn`. The same warning is also dispatched as the
   * LangGraph custom event "lessonloop.degraded".
   */
  onWarning?: (warning: RetrieverWarning) => void;
}

const MessageIdSchema = z.string().min(1).max(200);

const DEFAULT_MESSAGE_ID = "lessonloop-lessons";

function isHuman(message: BaseMessage): boolean {
  return message.type === "human";
}

/** The last human message, or undefined. */
function lastHumanMessage(messages: readonly BaseMessage[] | undefined): BaseMessage | undefined {
  if (messages === undefined) return undefined;
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i] as BaseMessage;
    if (isHuman(message)) return message;
  }
  return undefined;
}

function fingerprint(text: string): string {
  return createHash("sha256").update(text).digest("base64url").slice(0, 32);
}

function stepOf(config: LangGraphRunnableConfig, state: ReplayRetrieverState): number {
  const step: unknown = config.metadata?.["langgraph_step"];
  return typeof step === "number" ? step : (state.lessonServedLog?.length ?? 0);
}

/**
 * Where the lessons message goes: replaced in place when the thread has one;
 * otherwise after the leading system messages, so providers that want system
 * text first get it first. Inserting before other messages rewrites the list
 * (`RemoveMessage(REMOVE_ALL_MESSAGES)` and the full list), once per thread.
 */
function messagesUpdate(messages: readonly BaseMessage[], id: string, text: string): BaseMessage[] | undefined {
  const existing = messages.findIndex((message) => message.id === id);
  if (text === "") return existing === -1 ? undefined : [new RemoveMessage({ id })];
  if (existing !== -1) {
    const current = messages[existing] as BaseMessage;
    return current.type === "system" && current.content === text ? undefined : [new SystemMessage({ id, content: text })];
  }
  const lessonsMessage = new SystemMessage({ id, content: text });
  let insertAt = 0;
  while (insertAt < messages.length && (messages[insertAt] as BaseMessage).type === "system") insertAt++;
  if (insertAt === messages.length) return [lessonsMessage];
  return [new RemoveMessage({ id: REMOVE_ALL_MESSAGES }), ...messages.slice(0, insertAt), lessonsMessage, ...messages.slice(insertAt)];
}

/**
 * Creates the replay-retriever: a LangGraph node to place before an agent node.
 * On each call it reads the input and scope from the state and config, finds
 * the lessons of the pinned (or, for new input, the live) memory version that
 * apply, ranks them by relevance, proven utility, recency and diversity, fits
 * them (and optional examples of past successful runs) into a token budget, and
 * returns a state update: a system message with the rendered lessons, the
 * lessons as data, the pin, and an entry of the served log.
 *
 * It never fails the run for an outage: if memory, ledger or examples throw or
 * time out, the run goes on without them and the degradation is reported to
 * `onWarning` and as the custom event "lessonloop.degraded".
 *
 * Spread `LessonContextAnnotation.spec` into the graph's state so the pin and
 * the served log are kept.
 */
export function createReplayRetriever<S extends ReplayRetrieverState = ReplayRetrieverState>(
  params: ReplayRetrieverParams<S>,
): ReplayRetrieverNode<S> {
  const { scope: scopeOf, input, tools: toolsOf, render = renderLessonContext, addMessage = true, messageId = DEFAULT_MESSAGE_ID, onWarning = logWarning } = params;
  parseWith(MessageIdSchema, messageId, "replay-retriever messageId");
  const select = createLessonSelector({ ...params, render });
  let warnedAboutState = false;

  const readInput = (state: S): { text: string; key: string } => {
    if (input !== undefined) {
      const text = (input(state) ?? "").trim().slice(0, MAX_INPUT_CHARS);
      return { text, key: text };
    }
    const message = lastHumanMessage(state.messages);
    const text = (message?.text ?? "").trim().slice(0, MAX_INPUT_CHARS);
    return { text, key: `${message?.id ?? ""}\n${text}` };
  };

  return async function replayRetriever(state: S, config: LangGraphRunnableConfig): Promise<ReplayRetrieverUpdate> {
    const scope = parseWith(ScopeSchema, scopeOf(state, config), "scope returned by the replay-retriever's `scope` function");
    const step = stepOf(config, state);
    const warnings: RetrieverWarning[] = [];
    if (!warnedAboutState && state.lessonServedLog === undefined) {
      warnedAboutState = true;
      const problem = new Error("The graph's state has no `lessonServedLog`: spread `LessonContextAnnotation.spec` into the state annotation so runs are pinned to one memory version and served lessons are logged.");
      warnings.push(warningFor("state", problem, { scope, step }));
    }

    const { text, key } = readInput(state);
    const inputKey = fingerprint(key);
    const pin = state[MEMORY_PIN_KEY];
    const pinned = pin !== undefined && pin.input === inputKey ? pin.version : undefined;
    const tools = toolsOf?.(state, config);
    const { version, lessons, examples: served, degraded } = await select({ text, scope, version: pinned, ...(tools === undefined ? {} : { tools }) });
    for (const { source, error } of degraded) warnings.push(warningFor(source, error, { scope, step }));

    const update: ReplayRetrieverUpdate = { servedLessons: lessons, servedExamples: served };
    if (addMessage && state.messages !== undefined) {
      const rendered = lessons.length === 0 && served.length === 0 ? "" : render({ lessons, examples: served });
      const messages = messagesUpdate(state.messages, messageId, rendered);
      if (messages !== undefined) update.messages = messages;
    }
    if (version !== undefined) {
      if (pinned === undefined) update[MEMORY_PIN_KEY] = { version, input: inputKey };
      update.lessonServedLog = [
        { step, version, input: inputKey, lessonIds: lessons.map((lesson) => lesson.lesson.id), exampleIds: served.map((example) => example.id) },
      ];
    }

    for (const warning of warnings) await report(warning, config, onWarning);
    return update;
  };
}

async function report(warning: RetrieverWarning, config: LangGraphRunnableConfig, onWarning: (warning: RetrieverWarning) => void): Promise<void> {
  try {
    onWarning(warning);
  } catch {
    // A throwing warning handler must not fail the run it is reporting on.
  }
  const { cause: _cause, ...payload } = warning;
  try {
    await dispatchCustomEvent(DEGRADED_EVENT, payload, config);
  } catch {
    // Outside a LangGraph run (a direct call) there is no one to dispatch to.
  }
}
