import { RemoveMessage, type BaseMessage } from "@langchain/core/messages";
import {
  Annotation,
  END,
  Overwrite,
  REMOVE_ALL_MESSAGES,
  START,
  StateGraph,
  messagesStateReducer,
  type BaseChannel,
  type BaseCheckpointSaver,
  type BaseStore,
  type CompiledStateGraph,
  type LangGraphRunnableConfig,
  type StateGraphAddNodeOptions,
  type StateGraphNodeSpec,
  type StateDefinition,
  type StateDefinitionInit,
} from "@langchain/langgraph";
import {
  LessonloopError,
  MEMORY_PIN_KEY,
  ScopeSchema,
  parseWith,
  randomId,
  systemClock,
  type Clock,
  type Episode,
  type IdGenerator,
  type MemoryPin,
  type Outcome,
  type Scope,
  type TrajectoryStep,
} from "@lessonloop/core";
import { LessonContextAnnotation, type ReplayRetrieverState, type ServedLesson } from "@lessonloop/replay-retriever";
import { createEpisodeRecorder, messageText, trajectoryFromMessages } from "./episode-recorder.js";
import type { LearningLoop, LoopRetrieverParams } from "./learning-loop.js";

/** When learning happens relative to the user's run. */
export type LearningTiming =
  /** The run returns after its episode was learned (tests, demos, low-traffic agents). */
  | "sync"
  /** The run returns at once; the episode waits in the loop's bounded queue (production). */
  | "background"
  /** Lessons are retrieved, episodes are recorded (`onEpisode`), nothing is learned. */
  | "off";

/** The state key where the wrapper remembers which run it is recording. */
export const RUN_MARKER_KEY = "lessonloopRun";

/** Which run the wrapper is recording: its input message and start time. */
export interface RunMarker {
  /** Id of the human message the run answers; the trajectory starts there. */
  inputMessageId: string | undefined;
  /** When the run started (ISO 8601). */
  startedAt: string;
}

/** The wrapper's view of the user's state: whatever it holds, plus the lesson-context keys. */
export type WrappedState = Record<string, unknown> & ReplayRetrieverState & { [RUN_MARKER_KEY]?: RunMarker | undefined };

export interface WithLearningOptions {
  /** The learning loop (`createLearningLoop`): memory to read, and where episodes go. */
  loop: LearningLoop;
  /**
   * Whose run it is: a scope, or a function of the state and config (e.g. the
   * user from `config.configurable`). Lessons are served and learned within it.
   * Default `{ tenant: "default" }`.
   */
  scope?: Scope | ((state: WrappedState, config: LangGraphRunnableConfig) => Scope);
  /** `"sync"`, `"background"` (default) or `"off"`. */
  learning?: LearningTiming;
  /**
   * The run's task text, matched against lessons and recorded as the episode's
   * input. Default: the text of the last human message.
   */
  input?: (state: WrappedState) => string | undefined;
  /**
   * What the run did. Default: the messages from the run's human message on
   * (tool calls, tool results with `status: "error"` as errors), without the
   * lessons message.
   */
  trajectory?: (state: WrappedState, run: RunMarker | undefined) => TrajectoryStep[];
  /** An outcome the state already knows (e.g. a task status key). Default none: the critic decides. */
  outcome?: (state: WrappedState) => Outcome | undefined;
  /** Retriever settings (`maxLessons`, `budget`, `minRelevance`, `addMessage` …); `memory`, `ledger`, `scope` and `input` come from here. */
  retriever?: Omit<LoopRetrieverParams, "scope" | "input">;
  /**
   * Checkpointer of the wrapped graph. Default: the one the given compiled
   * graph was compiled with (e.g. `createReactAgent({ checkpointSaver })`);
   * none for a builder. Your graph's nodes are checkpointed in the wrapper's
   * own namespace, as they are without the wrapper.
   */
  checkpointer?: BaseCheckpointSaver;
  /** Store of the wrapped graph. Default: the compiled graph's own. */
  store?: BaseStore;
  /** For a builder: node names to interrupt before (a compiled graph keeps its own). */
  interruptBefore?: string[];
  /** For a builder: node names to interrupt after. */
  interruptAfter?: string[];
  /** Name of the wrapped graph. Default the user's graph's name, else `"lessonloop"`. */
  name?: string;
  /** Told about every recorded episode, before it is learned or queued. */
  onEpisode?: (episode: Episode) => void;
  /** Ids of episodes. Default random UUIDs. */
  ids?: IdGenerator;
  /** Stamps episodes. Default the system clock. */
  clock?: Clock;
}

/** Node names of the wrapper graph. */
export const WITH_LEARNING_NODES = { retrieve: "retrieve_lessons", agent: "agent", record: "record_episode" } as const;

/** The public structure of a `StateGraph` builder that inlining copies: nodes, edges, branches, channels. */
interface BuilderStructure {
  channels: Record<string, BaseChannel>;
  nodes: Record<string, StateGraphNodeSpec<unknown, unknown>>;
  edges: Set<[string, string]>;
  waitingEdges: Set<[string[], string]>;
  branches: Record<string, Record<string, unknown>>;
}

/** Nodes to interrupt at: a list of node names, or `"*"` for all. */
type InterruptNodes = (string | number | symbol)[] | "*";

/** What the wrapper needs of the user's compiled graph (a `CompiledStateGraph`). */
interface InnerGraph {
  invoke(input: Record<string, unknown>, config?: LangGraphRunnableConfig): Promise<unknown>;
  builder: { channels: Record<string, BaseChannel> } & Partial<Omit<BuilderStructure, "channels">>;
  outputChannels: string | number | symbol | (string | number | symbol)[];
  streamChannels?: string | number | symbol | (string | number | symbol)[] | undefined;
  checkpointer?: BaseCheckpointSaver | boolean | undefined;
  store?: BaseStore | undefined;
  cache?: unknown;
  interruptBefore?: InterruptNodes | undefined;
  interruptAfter?: InterruptNodes | undefined;
  stepTimeout?: number | undefined;
  retryPolicy?: unknown;
  config?: LangGraphRunnableConfig | undefined;
  streamTransformers?: readonly unknown[] | undefined;
  name?: string | undefined;
  description?: string | undefined;
}

/** The wrapper builder, seen through the public members inlining uses. */
interface WrapperBuilder extends BuilderStructure {
  addNode(key: string, action: unknown, options?: Record<string, unknown>): WrapperBuilder;
  addEdge(start: string, end: string): WrapperBuilder;
  compile(options: Record<string, unknown>): CompiledWrapper;
}

/** The compiled wrapper, seen through the fields that carry the user's compile settings. */
interface CompiledWrapper {
  streamChannels?: string | number | symbol | (string | number | symbol)[] | undefined;
  stepTimeout?: number | undefined;
  retryPolicy?: unknown;
  withConfig(config: LangGraphRunnableConfig): CompiledWrapper;
}

/** A subgraph, as `addNode` options declare one. */
type Subgraph = NonNullable<StateGraphAddNodeOptions["subgraphs"]>[number];

/** What the wrapper needs of a `StateGraph` builder. */
interface InnerBuilder {
  compile(options?: { interruptBefore?: string[]; interruptAfter?: string[] }): InnerGraph;
}

/** Whether a builder exposes the public structure inlining copies. */
function isStructure(builder: InnerGraph["builder"]): builder is BuilderStructure {
  return builder.nodes !== undefined && builder.edges !== undefined && builder.waitingEdges !== undefined && builder.branches !== undefined;
}

/**
 * Why the user's graph cannot be inlined (and runs as a subgraph node instead),
 * or undefined when it can.
 */
function whyNotInlinable(builder: InnerGraph["builder"]): string | undefined {
  if (!isStructure(builder)) return "its builder does not expose nodes, edges and branches";
  const { nodes } = builder;
  for (const name of [WITH_LEARNING_NODES.retrieve, WITH_LEARNING_NODES.record, RUN_MARKER_KEY, ...Object.keys(LessonContextAnnotation.spec)]) {
    if (name in nodes) return `it has a node named "${name}"`;
  }
  // A deferred node of the user's would run in the same step as record_episode, which must come last.
  if (Object.values(nodes).some((node) => node.defer === true)) return "it has a deferred node";
  // Zod or StateSchema state validates node updates, and graph-wide node defaults (setNodeDefaults)
  // apply at compile time: LangGraph keeps both in builder fields that are not public, so a copy of
  // the public structure would lose them. Read only to decide; never copied.
  const internals = builder as { _schemaRuntimeDefinition?: unknown; _nodeDefaults?: object };
  if (internals._schemaRuntimeDefinition !== undefined) return "its state is a Zod or StateSchema schema";
  if (internals._nodeDefaults !== undefined && Object.keys(internals._nodeDefaults).length > 0) return "it sets node defaults";
  return undefined;
}

/** Channels whose writes go through a reducer: they take the subgraph's final value as an `Overwrite`. */
const REDUCER_CHANNELS = new Set(["BinaryOperatorAggregate", "DeltaChannel"]);

/** Whether a channel reduces with LangGraph's messages reducer (by id: replace, remove, append). */
function isMessagesChannel(channel: BaseChannel): boolean {
  return "operator" in channel && channel.operator === messagesStateReducer;
}

/**
 * The update that turns `before` into `after` under the messages reducer:
 * removals and in-place replacements by id, then the new messages — or, when
 * the order changed, a rewrite of the whole list. Returned as a plain list (not
 * an `Overwrite`), LangGraph's "messages" stream mode sees the new messages in
 * the node's output and streams them.
 */
function messagesUpdate(before: readonly BaseMessage[], after: readonly BaseMessage[]): BaseMessage[] {
  const afterIds = new Set(after.map((message) => message.id));
  if (after.some((message) => message.id === undefined) || before.some((message) => message.id === undefined)) {
    return [new RemoveMessage({ id: REMOVE_ALL_MESSAGES }), ...after];
  }
  const kept = before.filter((message) => afterIds.has(message.id));
  const samePrefix = kept.every((message, index) => after[index]?.id === message.id);
  if (!samePrefix) return [new RemoveMessage({ id: REMOVE_ALL_MESSAGES }), ...after];
  const removed = before.filter((message) => !afterIds.has(message.id)).map((message) => new RemoveMessage({ id: message.id as string }));
  const replaced = after.slice(0, kept.length).filter((message, index) => message !== kept[index]);
  return [...removed, ...replaced, ...after.slice(kept.length)];
}

function isBuilder(graph: unknown): graph is InnerBuilder {
  return typeof graph === "object" && graph !== null && "compile" in graph && typeof graph.compile === "function" && !("invoke" in graph);
}

function isCompiled(graph: unknown): graph is InnerGraph {
  return (
    typeof graph === "object" &&
    graph !== null &&
    "invoke" in graph &&
    "builder" in graph &&
    typeof graph.builder === "object" &&
    graph.builder !== null &&
    "channels" in graph.builder
  );
}

function isHuman(message: BaseMessage): boolean {
  return message.getType() === "human";
}

function messagesOf(state: WrappedState): BaseMessage[] {
  const messages: unknown = state["messages"];
  return Array.isArray(messages) ? (messages as BaseMessage[]) : [];
}

function lastHuman(messages: readonly BaseMessage[]): BaseMessage | undefined {
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index] as BaseMessage;
    if (isHuman(message)) return message;
  }
  return undefined;
}

/** The messages of the run: from its human message on (the whole list when that message is gone). */
function runMessages(messages: readonly BaseMessage[], run: RunMarker | undefined): readonly BaseMessage[] {
  if (run?.inputMessageId === undefined) return messages;
  const start = messages.findIndex((message) => message.id === run.inputMessageId);
  return start === -1 ? messages : messages.slice(start);
}

/**
 * Adds on-the-job learning to an existing LangGraph graph — a `StateGraph`
 * builder (before `compile()`) or a compiled graph such as
 * `createReactAgent(...)` — and returns the compiled wrapper:
 *
 * ```
 * START → retrieve_lessons → your graph's nodes and edges, as they are → record_episode → END
 * ```
 *
 * - `retrieve_lessons` (the replay-retriever) puts the lessons that apply to
 *   the run's input and scope into `messages` as one system message, and
 *   pins the run to a memory version. With empty memory it changes nothing.
 *   Your graph's edges from `START` leave from it instead.
 * - Your graph is inlined: its nodes, edges, conditional edges, node options
 *   and compile settings (checkpointer, store, interrupts, name) are copied
 *   into the wrapper, so it streams, checkpoints and pauses as it does
 *   unwrapped — tokens in `"messages"` mode as they are generated, each of
 *   your nodes' updates in `"updates"`, every step's state in `"values"`.
 * - `record_episode` is a deferred node: it runs once, after the last of your
 *   nodes, however your graph ended (an edge to `END`, a branch, a `Command`).
 *   It builds the run's `Episode` (input, trajectory, scope, pinned memory
 *   version, served lessons) and hands it to the loop: learned before
 *   returning (`"sync"`), queued (`"background"`), or only reported (`"off"`).
 *   Learning never fails the user's run: its errors are the loop's
 *   `learning_failed` events.
 *
 * The wrapper's input and output are your graph's state keys: `invoke` returns
 * what your graph returns. Its own keys (the retriever's `servedLessons`,
 * `lessonMemoryPin`, `lessonServedLog`, and `lessonloopRun`) live in the
 * checkpointed state, not in the output. A run takes two more supersteps
 * than unwrapped (mind a tight `recursionLimit`).
 *
 * A graph that cannot be inlined — it has a node named `retrieve_lessons` or
 * `record_episode` or like a lesson-context key, a deferred node, a Zod or
 * `StateSchema` state, or `setNodeDefaults` — runs whole as one `agent` node
 * instead (`retrieve_lessons → agent → record_episode`): it gives the same
 * results, but streams only with `subgraphs: true`, and pauses inside `agent`.
 */
export function withLearning<
  SD,
  S,
  U,
  N extends string,
  I extends StateDefinitionInit,
  O extends StateDefinitionInit,
  C extends StateDefinitionInit,
  NodeReturnType,
  InterruptType,
  WriterType,
>(
  graph: StateGraph<SD, S, U, N, I, O, C, NodeReturnType, InterruptType, WriterType>,
  options: WithLearningOptions,
): CompiledStateGraph<S, U, string, I, O, C>;
export function withLearning<S, U, N extends string, I extends StateDefinitionInit, O extends StateDefinitionInit, C extends StateDefinitionInit, NodeReturnType, InterruptType, WriterType>(
  graph: CompiledStateGraph<S, U, N, I, O, C, NodeReturnType, InterruptType, WriterType>,
  options: WithLearningOptions,
): CompiledStateGraph<S, U, string, I, O, C>;
export function withLearning(graph: unknown, options: WithLearningOptions): unknown {
  const {
    loop,
    scope = { tenant: "default" },
    learning = "background",
    input,
    trajectory,
    outcome,
    retriever: retrieverParams = {},
    interruptBefore,
    interruptAfter,
    onEpisode,
    ids = randomId,
    clock = systemClock,
  } = options;

  let inner: InnerGraph;
  if (isBuilder(graph)) {
    // Compiled once to validate the user's graph and learn its output keys (and to run it whole when it cannot be inlined).
    inner = graph.compile({
      ...(interruptBefore === undefined ? {} : { interruptBefore }),
      ...(interruptAfter === undefined ? {} : { interruptAfter }),
    });
  } else if (isCompiled(graph)) {
    if (interruptBefore !== undefined || interruptAfter !== undefined) {
      throw new LessonloopError("invalid_input", "interruptBefore/interruptAfter apply to a StateGraph builder; a compiled graph already has its own. Compile it with them instead.");
    }
    inner = graph;
  } else {
    throw new LessonloopError(
      "invalid_input",
      "withLearning takes a LangGraph StateGraph (before compile()) or a compiled state graph such as createReactAgent(...). Got something else.",
    );
  }

  const userChannels = inner.builder.channels;
  const userKeys = Object.keys(userChannels);
  const reducerKeys = new Set(userKeys.filter((key) => REDUCER_CHANNELS.has((userChannels[key] as BaseChannel).lc_graph_name)));
  const messagesKeys = new Set(userKeys.filter((key) => isMessagesChannel(userChannels[key] as BaseChannel)));
  const outputKeys = (Array.isArray(inner.outputChannels) ? inner.outputChannels : [inner.outputChannels]).map(String);
  const streamKeys =
    inner.streamChannels === undefined ? userKeys : (Array.isArray(inner.streamChannels) ? inner.streamChannels : [inner.streamChannels]).map(String);
  // The lesson-context keys may be there already (a graph that runs its own retriever): the channels are the same.
  if (RUN_MARKER_KEY in userChannels) {
    throw new LessonloopError("invalid_input", `The graph's state already has a key "${RUN_MARKER_KEY}", which withLearning uses. Rename it.`);
  }
  const notInlinable = whyNotInlinable(inner.builder);
  const ownNodes = notInlinable === undefined ? [WITH_LEARNING_NODES.retrieve, WITH_LEARNING_NODES.record] : Object.values(WITH_LEARNING_NODES);
  for (const name of ownNodes) {
    if (name in userChannels) throw new LessonloopError("invalid_input", `The graph's state has a key "${name}", the name of one of withLearning's nodes. Rename it.`);
  }

  const pick = (source: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> =>
    Object.fromEntries(keys.filter((key) => source[key] !== undefined).map((key) => [key, source[key]]));

  const stateSpec: StateDefinition = {
    ...LessonContextAnnotation.spec,
    [RUN_MARKER_KEY]: Annotation<RunMarker | undefined>({ reducer: (_previous, next) => next, default: () => undefined }),
    ...userChannels,
  };
  const inputSpec: StateDefinition = { ...userChannels };
  const outputSpec: StateDefinition = Object.fromEntries(outputKeys.filter((key) => key in userChannels).map((key) => [key, userChannels[key] as BaseChannel]));

  const resolveScope = (state: WrappedState, config: LangGraphRunnableConfig): Scope =>
    parseWith(ScopeSchema, typeof scope === "function" ? scope(state, config) : scope, "withLearning scope");
  const inputOf = (state: WrappedState): string | undefined => {
    if (input !== undefined) return input(state);
    const human = lastHuman(messagesOf(state));
    return human === undefined ? undefined : messageText(human);
  };

  const retrieveLessons = loop.createRetriever<WrappedState>({
    ...retrieverParams,
    scope: resolveScope,
    ...(input === undefined ? {} : { input }),
  });
  const lessonsMessageId = retrieverParams.messageId ?? "lessonloop-lessons";
  const recordEpisode = createEpisodeRecorder({ ids, clock });

  async function retrieve(state: WrappedState, config: LangGraphRunnableConfig) {
    const update = await retrieveLessons(state, config);
    const marker: RunMarker = { inputMessageId: lastHuman(messagesOf(state))?.id, startedAt: clock.now().toISOString() };
    return { ...update, [RUN_MARKER_KEY]: marker };
  }

  async function agent(state: WrappedState, config: LangGraphRunnableConfig) {
    const result = await inner.invoke(pick(state, userKeys), config);
    if (typeof result !== "object" || result === null) return {};
    const values = result as Record<string, unknown>;
    // The subgraph started from this state and applied its own reducers: its
    // final values replace ours, so a reducer key is not reduced a second time
    // (messages as the exact update that yields them, everything else as an Overwrite).
    return Object.fromEntries(
      Object.entries(values)
        .filter(([key]) => key in userChannels)
        .map(([key, value]) => {
          if (messagesKeys.has(key) && Array.isArray(value)) {
            const before: unknown = state[key];
            return [key, messagesUpdate(Array.isArray(before) ? (before as BaseMessage[]) : [], value as BaseMessage[])];
          }
          return [key, reducerKeys.has(key) ? new Overwrite(value) : value];
        }),
    );
  }

  /**
   * The memory version the run was served from: its pin, else the live version.
   * With memory unreachable the run was served no lessons — what version 0, the
   * empty memory, serves — so its episode is credited there rather than lost or
   * counted against a version whose lessons it never saw.
   */
  async function servedVersion(state: WrappedState): Promise<number> {
    const pin: MemoryPin | undefined = state[MEMORY_PIN_KEY];
    if (pin !== undefined) return pin.version;
    try {
      return await loop.memory.headVersion();
    } catch (error) {
      console.warn(`[lessonloop] withLearning: the lesson memory is unreachable (${String(error)}); this run was served no lessons, and its episode is recorded against version 0 and kept for learning.`);
      return 0;
    }
  }

  async function record(state: WrappedState, config: LangGraphRunnableConfig) {
    const task = inputOf(state);
    if (task === undefined || task.trim() === "") return {};
    // Recording and learning never fail the user's run: it has already produced its answer.
    let episode: Episode;
    try {
      const memoryVersion = await servedVersion(state);
      const run = state[RUN_MARKER_KEY];
      const served: readonly ServedLesson[] = state.servedLessons ?? [];
      const known = outcome?.(state);
      episode = recordEpisode({
        input: task,
        trajectory: trajectory?.(state, run) ?? trajectoryFromMessages(runMessages(messagesOf(state), run), { skipIds: new Set([lessonsMessageId]) }),
        scope: resolveScope(state, config),
        memoryVersion,
        servedLessons: served.map(({ lesson }) => lesson.id),
        startedAt: run?.startedAt ?? clock.now().toISOString(),
        ...(known === undefined ? {} : { outcome: known }),
      });
    } catch (error) {
      console.warn(`[lessonloop] withLearning: this run's episode could not be recorded: ${String(error)}`);
      return {};
    }
    onEpisode?.(episode);
    try {
      if (learning === "sync") await loop.learn(episode);
      else if (learning === "background") await loop.enqueue(episode);
    } catch (error) {
      // Sync failures are already the loop's `learning_failed` events.
      if (learning === "background") console.warn(`[lessonloop] episode ${episode.id} could not be queued for learning: ${String(error)}`);
    }
    return {};
  }

  // Node names come from the user's graph at run time, which StateGraph's typed builder
  // cannot express; the wrapper is used through the structural interface instead.
  const wrapper = new StateGraph(Annotation.Root(stateSpec), {
    input: Annotation.Root(inputSpec),
    output: Annotation.Root(outputSpec),
  }) as unknown as WrapperBuilder;
  wrapper.addNode(WITH_LEARNING_NODES.retrieve, retrieve).addEdge(START, WITH_LEARNING_NODES.retrieve);
  const userBuilder = inner.builder;
  let interrupts: { interruptBefore?: string[]; interruptAfter?: string[] } = {};
  if (notInlinable === undefined && isStructure(userBuilder)) {
    const userNodes = Object.keys(userBuilder.nodes);
    for (const [key, spec] of Object.entries(userBuilder.nodes)) {
      // addNode registers the node's input schema; the spec is then copied whole
      // (retry, cache and timeout policies, error handler, subgraphs, metadata, ends).
      wrapper.addNode(key, spec.runnable, spec.input === undefined ? {} : { input: spec.input });
      wrapper.nodes[key] = { ...spec };
    }
    // The user's entry edges and branches leave from retrieve_lessons; edges to END stay: record_episode is deferred.
    const entry = (node: string): string => (node === START ? WITH_LEARNING_NODES.retrieve : node);
    for (const [start, end] of userBuilder.edges) wrapper.edges.add([entry(start), end]);
    for (const [starts, end] of userBuilder.waitingEdges) wrapper.waitingEdges.add([[...starts], end]);
    for (const [source, branches] of Object.entries(userBuilder.branches)) {
      wrapper.branches[entry(source)] = { ...wrapper.branches[entry(source)], ...branches };
    }
    const resolve = (nodes: InterruptNodes | undefined): string[] | undefined =>
      nodes === undefined ? undefined : nodes === "*" ? userNodes : nodes.map(String);
    const before = resolve(isBuilder(graph) ? interruptBefore : inner.interruptBefore);
    const after = resolve(isBuilder(graph) ? interruptAfter : inner.interruptAfter);
    interrupts = { ...(before === undefined ? {} : { interruptBefore: before }), ...(after === undefined ? {} : { interruptAfter: after }) };
  } else {
    console.warn(`[lessonloop] withLearning runs your graph as one "agent" node because ${notInlinable ?? "its structure is unknown"}: stream it with subgraphs: true to see its own chunks.`);
    // Declared as the node's subgraph: getState(config, { subgraphs: true }) shows the user's graph while it is paused.
    wrapper
      .addNode(WITH_LEARNING_NODES.agent, agent, { subgraphs: [inner as unknown as Subgraph] })
      .addEdge(WITH_LEARNING_NODES.retrieve, WITH_LEARNING_NODES.agent)
      .addEdge(WITH_LEARNING_NODES.agent, WITH_LEARNING_NODES.record);
  }
  // Deferred and triggered by retrieve_lessons: it waits until nothing else is left to run, then runs once.
  wrapper
    .addNode(WITH_LEARNING_NODES.record, record, { defer: true })
    .addEdge(WITH_LEARNING_NODES.retrieve, WITH_LEARNING_NODES.record)
    .addEdge(WITH_LEARNING_NODES.record, END);

  const checkpointer = options.checkpointer ?? (typeof inner.checkpointer === "object" ? inner.checkpointer : undefined);
  const store = options.store ?? inner.store;
  const inlined = notInlinable === undefined;
  const transformers = inlined && Array.isArray(inner.streamTransformers) && inner.streamTransformers.length > 0 ? inner.streamTransformers : undefined;
  let compiled = wrapper.compile({
    ...(checkpointer === undefined ? {} : { checkpointer }),
    ...(store === undefined ? {} : { store }),
    ...(inlined && inner.cache !== undefined ? { cache: inner.cache } : {}),
    ...(transformers === undefined ? {} : { transformers }),
    ...interrupts,
    name: options.name ?? inner.name ?? "lessonloop",
    ...(inner.description === undefined ? {} : { description: inner.description }),
  });
  // "values" chunks and getState().values show the user's keys, as the unwrapped graph does;
  // the wrapper's own keys are still checkpointed (the pin must survive a resume).
  compiled.streamChannels = streamKeys.filter((key) => key in userChannels);
  if (inlined) {
    // The rest of a compiled graph's settings: its step timeout, retry policy and withConfig() config.
    if (inner.stepTimeout !== undefined) compiled.stepTimeout = inner.stepTimeout;
    if (inner.retryPolicy !== undefined) compiled.retryPolicy = inner.retryPolicy;
    if (inner.config !== undefined && Object.keys(inner.config).length > 0) compiled = compiled.withConfig(inner.config);
  }
  return compiled;
}
