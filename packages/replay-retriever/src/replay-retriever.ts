import { createHash } from "node:crypto";
import { dispatchCustomEvent } from "@langchain/core/callbacks/dispatch";
import { RemoveMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import { REMOVE_ALL_MESSAGES, type LangGraphRunnableConfig } from "@langchain/langgraph";
import {
  LessonKindSchema,
  MAX_QUERY_LENGTH,
  MEMORY_PIN_KEY,
  ScopeSchema,
  parseWith,
  systemClock,
  type Clock,
  type LessonKind,
  type LessonMemory,
  type LessonUtility,
  type MemoryPin,
  type OutcomeLedger,
  type ScoredLesson,
  type Scope,
} from "@lessonloop/core";
import { z } from "zod";
import type { ExampleSource } from "./example-source.js";
import {
  estimateTokens,
  renderLessonContext,
  type LessonContext,
  type LessonContextRenderer,
  type ServedExample,
  type ServedLesson,
  type ServedLogEntry,
} from "./lesson-context.js";
import { DEFAULT_RANKING_WEIGHTS, rankLessons, type RankingWeights } from "./lesson-ranking.js";
import { SearchCache } from "./search-cache.js";
import { FeatureCache } from "./text-similarity.js";
import { DEGRADED_EVENT, createDeadline, logWarning, warningFor, type RetrieverWarning, type RetrieverWarningSource } from "./retriever-warning.js";

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

export interface ReplayRetrieverParams<S extends ReplayRetrieverState = ReplayRetrieverState> {
  /** The versioned lesson memory to read, e.g. `ChromaLessonMemory` or `InMemoryLessonMemory`. */
  memory: LessonMemory;
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
  /** Outcomes of runs served each lesson, for proven utility. Without it every lesson is unproven. */
  ledger?: OutcomeLedger;
  /** Experience replay: successful past runs of similar tasks, rendered after the lessons. */
  examples?: ExampleSource;
  /** At most this many examples. Default 2. */
  maxExamples?: number;
  /** How many nearest lessons to fetch from memory before re-ranking. Default 20 (at most 100). */
  candidates?: number;
  /** At most this many lessons are served. Default 5. */
  maxLessons?: number;
  /** Only lessons of these kinds. Default: all. */
  kinds?: readonly LessonKind[];
  /** Weights of relevance, proven utility, recency and diversity; missing ones keep their defaults. */
  weights?: Partial<RankingWeights>;
  /** Age (ms) at which a lesson's recency score halves. Default 30 days. */
  recencyHalfLifeMs?: number;
  /**
   * Lessons whose search score (cosine similarity) is below this are never served.
   * Default 0.1, which drops unrelated lessons with the lexical embedder; raise it
   * for embedders whose unrelated texts still score high.
   */
  minRelevance?: number;
  /** A lesson whose guidance is more similar than this (lexically, 0..1) to one already chosen is never served; 1 turns it off. Default 0.8. */
  maxSimilarity?: number;
  /** Tokens the rendered message may take, lessons and examples together; never exceeded. Default 600. */
  budget?: number;
  /** Counts the tokens of a text. Default: characters / 4, rounded up. */
  countTokens?: (text: string) => number;
  /** Renders lessons and examples into the message text. Default {@link renderLessonContext}. */
  render?: LessonContextRenderer;
  /** Whether to add the rendered lessons as a system message to `messages`. Default true. */
  addMessage?: boolean;
  /**
   * Id of the lessons message: a later retrieval in the thread replaces the
   * message with this id rather than adding another. Default "lessonloop-lessons".
   */
  messageId?: string;
  /**
   * The most the node waits (ms) for memory, ledger and examples together;
   * past it the run goes on without what has not answered. Default 1000:
   * well above the store's p99, so only a store in trouble trips it.
   */
  timeoutMs?: number;
  /**
   * How many searches to remember. A memory version never changes, so a search
   * at the pinned version is answered from here on a run's later steps (an
   * agent loop passing through the retriever again). 0 turns it off. Default 256.
   */
  cacheSize?: number;
  /** Time source for recency. Default the system clock. */
  clock?: Clock;
  /**
   * Told about every degradation (memory down, ledger failing, timeout …) with its
   * cause. Default: `console.warn`. The same warning is also dispatched as the
   * LangGraph custom event "lessonloop.degraded".
   */
  onWarning?: (warning: RetrieverWarning) => void;
}

const NumbersSchema = z.object({
  maxExamples: z.number().int().min(1).max(50),
  candidates: z.number().int().min(1).max(100),
  maxLessons: z.number().int().min(1).max(100),
  recencyHalfLifeMs: z.number().positive(),
  minRelevance: z.number().min(-1).max(1),
  maxSimilarity: z.number().gt(0).max(1),
  budget: z.number().int().min(1),
  timeoutMs: z.number().positive().max(600_000),
  cacheSize: z.number().int().min(0).max(100_000),
  messageId: z.string().min(1).max(200),
  kinds: z.array(LessonKindSchema).min(1).optional(),
  weights: z.object({
    relevance: z.number().min(0).max(100),
    utility: z.number().min(0).max(100),
    recency: z.number().min(0).max(100),
    diversity: z.number().min(0).max(100),
  }),
});

const DEFAULT_MESSAGE_ID = "lessonloop-lessons";
const THIRTY_DAYS_MS = 30 * 24 * 60 * 60 * 1_000;
/** Longer inputs are matched by their first part; the embedder's cost grows with length. */
const MAX_INPUT_CHARS = Math.min(4_000, MAX_QUERY_LENGTH);

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
  const {
    memory,
    scope: scopeOf,
    input,
    ledger,
    examples,
    maxExamples = 2,
    candidates = 20,
    maxLessons = 5,
    kinds,
    weights: weightOverrides = {},
    recencyHalfLifeMs = THIRTY_DAYS_MS,
    minRelevance = 0.1,
    maxSimilarity = 0.8,
    budget = 600,
    countTokens = estimateTokens,
    render = renderLessonContext,
    addMessage = true,
    messageId = DEFAULT_MESSAGE_ID,
    timeoutMs = 1_000,
    cacheSize = 256,
    clock = systemClock,
    onWarning = logWarning,
  } = params;
  const weights: RankingWeights = { ...DEFAULT_RANKING_WEIGHTS, ...weightOverrides };
  parseWith(
    NumbersSchema,
    { maxExamples, candidates, maxLessons, recencyHalfLifeMs, minRelevance, maxSimilarity, budget, timeoutMs, cacheSize, messageId, kinds, weights },
    "replay-retriever params",
  );
  const kindList = kinds === undefined ? undefined : [...kinds];
  const kindsKey = kindList === undefined ? "*" : [...kindList].sort().join(",");
  const cache = new SearchCache(cacheSize);
  const featureCache = new FeatureCache(Math.max(cacheSize, candidates) * 4);
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

  const fits = (context: LessonContext): boolean => countTokens(render(context)) <= budget;

  return async function replayRetriever(state: S, config: LangGraphRunnableConfig): Promise<ReplayRetrieverUpdate> {
    const scope = parseWith(ScopeSchema, scopeOf(state, config), "scope returned by the replay-retriever's `scope` function");
    const step = stepOf(config, state);
    const warnings: RetrieverWarning[] = [];
    const warn = (source: RetrieverWarningSource, error: unknown) => warnings.push(warningFor(source, error, { scope, step }));
    if (!warnedAboutState && state.lessonServedLog === undefined) {
      warnedAboutState = true;
      warn("state", new Error("The graph's state has no `lessonServedLog`: spread `LessonContextAnnotation.spec` into the state annotation so runs are pinned to one memory version and served lessons are logged."));
    }

    const { text, key } = readInput(state);
    const inputKey = fingerprint(key);
    const pin = state[MEMORY_PIN_KEY];
    let version = pin !== undefined && pin.input === inputKey ? pin.version : undefined;
    const pinned = version !== undefined;

    let found: ScoredLesson[] = [];
    let foundExamples: ServedExample[] = [];
    let utility: Map<string, LessonUtility> | undefined;
    if (text !== "") {
      const deadline = createDeadline(timeoutMs);
      try {
        const examplesRead =
          examples === undefined
            ? Promise.resolve<ServedExample[]>([])
            : deadline.race("example source", () => examples.findExamples({ query: text, scope, k: maxExamples })).catch((error: unknown) => {
                warn("examples", error);
                return [];
              });
        try {
          version ??= await deadline.race("lesson memory", () => memory.headVersion());
          const at = version;
          const cacheKey = JSON.stringify([at, scope.tenant, scope.user ?? null, scope.agent ?? null, kindsKey, text]);
          const cached = cache.get(cacheKey);
          if (cached !== undefined) {
            found = [...cached];
          } else {
            found = await deadline.race("lesson memory", () => memory.search({ query: text, scope, k: candidates, version: at, kinds: kindList }));
            cache.set(cacheKey, found);
          }
        } catch (error) {
          warn("memory", error);
          found = [];
        }
        if (ledger !== undefined && found.length > 0) {
          const ids = found.map((scored) => scored.lesson.id);
          utility = await deadline.race("outcome ledger", () => ledger.lessonUtility(ids)).catch((error: unknown) => {
            warn("ledger", error);
            return undefined;
          });
        }
        foundExamples = await examplesRead;
      } finally {
        deadline.clear();
      }
    }

    const lessons: ServedLesson[] = [];
    rankLessons({
      candidates: found,
      utility,
      now: clock.now().getTime(),
      weights,
      recencyHalfLifeMs,
      minRelevance,
      maxSimilarity,
      limit: maxLessons,
      featureCache,
      accept: (lesson) => {
        if (!fits({ lessons: [...lessons, lesson], examples: [] })) return false;
        lessons.push(lesson);
        return true;
      },
    });
    const served: ServedExample[] = [];
    for (const example of foundExamples) {
      if (fits({ lessons, examples: [...served, example] })) served.push(example);
    }

    // Served lessons go into the state, which a graph may change; the cached ones stay as read.
    for (const lesson of lessons) lesson.lesson = structuredClone(lesson.lesson);
    const update: ReplayRetrieverUpdate = { servedLessons: lessons, servedExamples: served };
    if (addMessage && state.messages !== undefined) {
      const rendered = lessons.length === 0 && served.length === 0 ? "" : render({ lessons, examples: served });
      const messages = messagesUpdate(state.messages, messageId, rendered);
      if (messages !== undefined) update.messages = messages;
    }
    if (version !== undefined) {
      if (!pinned) update[MEMORY_PIN_KEY] = { version, input: inputKey };
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
