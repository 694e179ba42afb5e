import { RemoveMessage, isBaseMessage, type BaseMessage } from "@langchain/core/messages";
import {
  Annotation,
  END,
  Overwrite,
  REMOVE_ALL_MESSAGES,
  START,
  StateGraph,
  type BaseChannel,
  type BaseCheckpointSaver,
  type BaseStore,
  type CompiledStateGraph,
  type LangGraphRunnableConfig,
  type StateDefinition,
  type StateDefinitionInit,
} from "@langchain/langgraph";
import { getStateTypeSchema } from "@langchain/langgraph/zod/schema";
import {
  LessonloopError,
  type Clock,
  type Episode,
  type IdGenerator,
  type Outcome,
  type Scope,
  type TrajectoryStep,
  type EpisodeQueue,
} from "@lessonloop/core";
import { MAX_SEARCH_TOOLS, ToolNameSchema, parseWith, randomId, systemClock } from "@lessonloop/core/internal";
import { SnapshotCheckpointer, type SnapshotCheckpointerWarning } from "@lessonloop/snapshot-checkpointer";
import { z } from "zod";
import { CREATE_AGENT_MESSAGE, isCreateAgent } from "./create-agent-detection.js";
import type { LearningLoop, LoopRetrieverParams } from "./learning-loop.js";
import {
  LearningNodesAnnotation,
  RECORD_NODE,
  RETRIEVE_NODE,
  RUN_MARKER_KEY,
  createRecordEpisodeNode,
  createRetrieveLessonsNode,
  type LearningTiming,
  type RunMarker,
  type WrappedState,
} from "./with-learning-nodes.js";

export type { LearningTiming, RunMarker } from "./with-learning-nodes.js";

export interface WithLearningOptions {
  /** The learning loop (`createLearningLoop`): memory to read, and where episodes go. */
  loop: LearningLoop;
  /**
   * Whose run it is: a scope, or a function of the state and config (e.g. the
   * user from `config.configurable`). Lessons are served and learned within it.
   * A function that throws or returns an invalid scope (a name empty, longer
   * than 256 characters, or holding control characters) does not fail the
   * run: it answers without lessons, nothing of it is recorded, and the loop
   * reports a `warning` event (source `scope`). Default `{ tenant: "default" }`.
   */
  scope?: Scope | ((state: WrappedState, config: LangGraphRunnableConfig) => Scope);
  /** `"sync"`, `"background"` (default) or `"off"`. */
  learning?: LearningTiming;
  /**
   * Where background episodes go instead of the loop's own queue: a shared
   * `EpisodeQueue` (e.g. `createPgEpisodeQueue` from `@lessonloop/queue-pg`)
   * that learning workers take from. The run returns once the queue holds its
   * episode durably. Default none: the loop learns in this process.
   */
  queue?: EpisodeQueue;
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
  /** Retriever settings (`maxLessons`, `budget`, `minRelevance`, `addMessage` …); `memory`, `ledger`, `scope`, `input` and `tools` come from here. Its warnings are the loop's `warning` events. */
  retriever?: Omit<LoopRetrieverParams, "scope" | "input" | "tools">;
  /**
   * The names of the tools your graph's agent can call. Lessons anchored to one
   * of them (a lesson's `tools`, filled by the learner from the failing run) are
   * served whatever the input's words, still ranked and within the budget; so are
   * those anchored to a tool the run has already called. Default none: lessons
   * are found by the input's text (and the tools called so far).
   */
  tools?: readonly string[];
  /**
   * Checkpointer of the wrapped graph. Default: the one the given compiled
   * graph was compiled with (e.g. `createReactAgent({ checkpointSaver })`);
   * none for a builder. It is wrapped in a `SnapshotCheckpointer` on the
   * loop's memory, so every checkpoint records the memory version its run was
   * served from (pass a `SnapshotCheckpointer` yourself to choose its settings).
   * Checkpoints stored without a version (memory unreachable) are reported as
   * the loop's `warning` events (`source: "checkpointer"`).
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

const ToolNamesSchema = z.array(ToolNameSchema).max(MAX_SEARCH_TOOLS);

/** Nodes to interrupt at: a list of node names, or `"*"` for all. */
type InterruptNodes = (string | number | symbol)[] | "*";

/** A node of a `StateGraph` builder, as its public `nodes` field shows it. */
interface NodeSpecView {
  runnable: unknown;
  input?: StateDefinition | undefined;
  retryPolicy?: unknown;
  cachePolicy?: unknown;
  timeout?: unknown;
  tracePolicy?: unknown;
  metadata?: Record<string, unknown> | undefined;
  subgraphs?: unknown[] | undefined;
  ends?: string[] | undefined;
  defer?: boolean | undefined;
  isErrorHandler?: boolean | undefined;
  errorHandlerNode?: string | undefined;
}

/** The node-spec fields `addNode` takes back as options; a spec with any other field is not copied. */
const COPYABLE_SPEC_FIELDS = new Set(["runnable", "input", "retryPolicy", "cachePolicy", "timeout", "tracePolicy", "metadata", "subgraphs", "ends", "defer", "isErrorHandler", "errorHandlerNode"]);

/** A conditional edge, as the builder's public `branches` field shows it. */
interface BranchView {
  path: unknown;
  ends?: Record<string, string> | undefined;
}

/** The public members of a `StateGraph` builder that inlining reads. It never writes them. */
interface BuilderView {
  channels: Record<string, BaseChannel>;
  nodes: Record<string, NodeSpecView>;
  edges: Set<[string, string]>;
  waitingEdges: Set<[string[], string]>;
  branches: Record<string, Record<string, BranchView>>;
}

/** A compiled node's resolved policies (node defaults applied), from the compiled graph's public `nodes`. */
interface CompiledNodeView {
  retryPolicy?: unknown;
  cachePolicy?: unknown;
  timeout?: unknown;
  isErrorHandler?: boolean | undefined;
  errorHandlerNode?: string | undefined;
}

/** What the wrapper reads of the user's compiled graph (a `CompiledStateGraph`): public fields only. */
interface InnerGraph {
  invoke(input: Record<string, unknown>, config?: LangGraphRunnableConfig): Promise<unknown>;
  builder: { channels: Record<string, BaseChannel> } & Partial<Omit<BuilderView, "channels">>;
  nodes: Record<string, CompiledNodeView>;
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

/** The wrapper builder, used through its public methods; node names come from the user's graph at run time. */
interface WrapperBuilder {
  addNode(key: string, action: unknown, options?: Record<string, unknown>): WrapperBuilder;
  addEdge(start: string | string[], end: string): WrapperBuilder;
  addConditionalEdges(source: string, path: unknown, pathMap?: Record<string, string>): WrapperBuilder;
  compile(options: Record<string, unknown>): CompiledWrapper;
}

interface CompiledWrapper {
  withConfig(config: LangGraphRunnableConfig & { outputKeys?: string[] }): CompiledWrapper;
}

/** What the wrapper needs of a `StateGraph` builder. */
interface InnerBuilder {
  compile(options?: { interruptBefore?: string[]; interruptAfter?: string[] }): InnerGraph;
}

function isBuilder(graph: unknown): graph is InnerBuilder {
  return typeof graph === "object" && graph !== null && "compile" in graph && typeof graph.compile === "function" && !("invoke" in graph);
}

function isCompiled(graph: unknown): graph is InnerGraph {
  return (
    typeof graph === "object" &&
    graph !== null &&
    "invoke" in graph &&
    "nodes" in graph &&
    "builder" in graph &&
    typeof graph.builder === "object" &&
    graph.builder !== null &&
    "channels" in graph.builder
  );
}

function isBuilderView(builder: InnerGraph["builder"]): builder is BuilderView {
  return builder.nodes !== undefined && builder.edges instanceof Set && builder.waitingEdges instanceof Set && builder.branches !== undefined;
}

function keysOf(value: string | number | symbol | (string | number | symbol)[]): string[] {
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** Whether the state is a Zod or `StateSchema` schema (LangGraph's public schema reader answers only for those). */
function hasValidatingSchema(inner: InnerGraph): boolean {
  try {
    return getStateTypeSchema(inner) !== undefined;
  } catch {
    return true;
  }
}

/**
 * Why the user's graph cannot be rebuilt inside the wrapper from what its
 * builder shows publicly (and runs whole as one subgraph node instead), or
 * undefined when it can.
 */
function whyNotInlinable(inner: InnerGraph): string | undefined {
  const builder = inner.builder;
  if (!isBuilderView(builder)) return "its builder does not expose nodes, edges and branches";
  for (const name of [RETRIEVE_NODE, RECORD_NODE, ...Object.keys(LearningNodesAnnotation.spec)]) {
    if (name in builder.nodes) return `it has a node named "${name}"`;
  }
  // A Zod or StateSchema state validates every node's update; a rebuilt graph on the same channels would not.
  if (hasValidatingSchema(inner)) return "its state is a Zod or StateSchema schema";
  for (const [name, spec] of Object.entries(builder.nodes)) {
    // A deferred node of the user's would run in the same step as record_episode, which must come last.
    if (spec.defer === true) return "it has a deferred node";
    if (spec.isErrorHandler === true || spec.errorHandlerNode !== undefined) return "it has node error handlers";
    const unknown = Object.keys(spec).find((field) => !COPYABLE_SPEC_FIELDS.has(field));
    if (unknown !== undefined) return `its node "${name}" has a setting ("${unknown}") that withLearning cannot copy`;
  }
  // Compiling may add nodes (a default error handler from setNodeDefaults): those are not the builder's to copy.
  const compiledNodes = Object.entries(inner.nodes).filter(([name]) => name !== START);
  if (compiledNodes.some(([name, node]) => !(name in builder.nodes) || node.isErrorHandler === true || node.errorHandlerNode !== undefined)) {
    return "it has node error handlers";
  }
  // Graph-wide settings of a compiled graph that compile() and withConfig() cannot pass on.
  if (inner.stepTimeout !== undefined || inner.retryPolicy !== undefined) return "it has a graph-wide step timeout or retry policy";
  return undefined;
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

/** Whether two state values are the same: the same objects, or lists of the same objects. */
function sameValue(left: unknown, right: unknown): boolean {
  if (Array.isArray(left) && Array.isArray(right)) return left.length === right.length && left.every((item, index) => sameValue(item, right[index]));
  if (isBaseMessage(left) && isBaseMessage(right)) return left.id === right.id && left.content === right.content;
  return Object.is(left, right);
}

/** Whether writing `update` through the channel (its public interface, on a fresh copy) turns `before` into `after`. */
function writes(channel: BaseChannel, before: unknown, update: unknown, after: unknown): boolean {
  try {
    const probe = channel.fromCheckpoint(before);
    probe.update([update]);
    return sameValue(probe.get(), after);
  } catch {
    return false;
  }
}

/**
 * The update that sets a key of the wrapper's state to the value the user's
 * graph ended with, through that key's own channel: for a messages list the
 * exact add/replace/remove update, for a plain key the value, for a reducer key
 * an `Overwrite` (so it is not reduced a second time). Found by trying each on
 * a copy of the channel, so no channel type is assumed.
 */
function writeBack(channel: BaseChannel, before: unknown, after: unknown): unknown {
  const candidates: unknown[] = [];
  if (Array.isArray(after) && after.every(isBaseMessage)) {
    candidates.push(messagesUpdate(Array.isArray(before) && before.every(isBaseMessage) ? before : [], after));
  }
  candidates.push(after, new Overwrite(after));
  return candidates.find((update) => writes(channel, before, update, after)) ?? after;
}

/** How often an outage of the memory is reported by the checkpointer: every checkpoint of every run would flood the loop's channel. */
const CHECKPOINT_WARNING_INTERVAL_MS = 60_000;

/** One warning on the loop's channel per interval for checkpoints stored without their memory version, with a count of those left out. */
function checkpointWarnings(loop: LearningLoop, clock: Clock): (warning: SnapshotCheckpointerWarning) => void {
  let last = Number.NEGATIVE_INFINITY;
  let skipped = 0;
  return (warning) => {
    const now = clock.now().getTime();
    if (now - last < CHECKPOINT_WARNING_INTERVAL_MS) {
      skipped++;
      return;
    }
    last = now;
    const omitted = skipped;
    skipped = 0;
    loop.warn({ source: "checkpointer", warning, omitted });
  };
}

/** The checkpointer, wrapped so each checkpoint records the memory version its run was served from. */
function pinnedCheckpointer(checkpointer: BaseCheckpointSaver, loop: LearningLoop, clock: Clock): BaseCheckpointSaver {
  // Already a SnapshotCheckpointer (the user's own settings): keep it. Recognised by its method, not instanceof.
  if (typeof (checkpointer as Partial<SnapshotCheckpointer>).memoryVersionOf === "function") return checkpointer;
  return new SnapshotCheckpointer({ saver: checkpointer, memory: loop.memory, onWarning: checkpointWarnings(loop, clock) });
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
 * Built with LangGraph's public API only: two ordinary nodes and your graph's
 * nodes, edges and conditional edges added again with `addNode`, `addEdge` and
 * `addConditionalEdges`, read from your builder's public `nodes`, `edges`,
 * `waitingEdges`, `branches` and `channels`.
 *
 * - `retrieve_lessons` (the replay-retriever) puts the lessons that apply to
 *   the run's input and scope into `messages` as one system message, and
 *   pins the run to a memory version. With empty memory it changes nothing.
 *   Your graph's edges from `START` leave from it instead.
 * - Your graph is inlined, so it streams, checkpoints and pauses as it does
 *   unwrapped — tokens in `"messages"` mode as they are generated, each of
 *   your nodes' updates in `"updates"`, every step's state in `"values"`.
 * - `record_episode` is a deferred node (`defer: true`): it runs once, after
 *   the last of your nodes, however your graph ended (an edge to `END`, a
 *   branch, a `Command`). It builds the run's `Episode` and hands it to the
 *   loop: learned before returning (`"sync"`), queued (`"background"`), or only
 *   reported (`"off"`). Learning never fails the user's run: its errors are the
 *   loop's `learning_failed` events.
 *
 * With a checkpointer, it is wrapped in a `SnapshotCheckpointer` on the loop's
 * memory: each checkpoint records the memory version its run was served from.
 *
 * The wrapper's input and output are your graph's state keys: `invoke` returns
 * what your graph returns, and `"values"` chunks show your keys. Its own keys
 * (the retriever's `servedLessons`, `lessonMemoryPin`, `lessonServedLog`, and
 * `lessonloopRun`) are checkpointed and show in `getState().values`. A run takes
 * two more supersteps than unwrapped (mind a tight `recursionLimit`).
 *
 * A graph that cannot be rebuilt from what its builder shows — a node named
 * `retrieve_lessons`, `record_episode` or like one of the wrapper's keys, a
 * deferred node, node error handlers, a Zod or `StateSchema` state, a
 * graph-wide step timeout or retry policy — runs whole as one `agent` subgraph
 * node instead (`retrieve_lessons → agent → record_episode`): it gives the
 * same results, but streams its own chunks only with `subgraphs: true`, and
 * pauses inside `agent`.
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
    queue,
    input,
    trajectory,
    outcome,
    retriever = {},
    tools,
    interruptBefore,
    interruptAfter,
    onEpisode,
    ids = randomId,
    clock = systemClock,
  } = options;

  // A createAgent agent takes lessonloop as its middleware; wrapped, its model would get a second system message.
  if (isCreateAgent(graph)) throw new LessonloopError("invalid_input", CREATE_AGENT_MESSAGE);
  let inner: InnerGraph;
  if (isBuilder(graph)) {
    // Compiled once to validate the user's graph, learn its output keys and resolved node policies (and to run it whole when it cannot be inlined).
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
  const outputKeys = keysOf(inner.outputChannels);
  const streamKeys = inner.streamChannels === undefined ? userKeys : keysOf(inner.streamChannels);
  // The lesson-context keys may be there already (a graph that runs its own retriever): the channels are the same.
  if (RUN_MARKER_KEY in userChannels) {
    throw new LessonloopError("invalid_input", `The graph's state already has a key "${RUN_MARKER_KEY}", which withLearning uses. Rename it.`);
  }
  for (const name of [RETRIEVE_NODE, RECORD_NODE]) {
    if (name in userChannels) throw new LessonloopError("invalid_input", `The graph's state has a key "${name}", the name of one of withLearning's nodes. Rename it.`);
  }
  const notInlinable = whyNotInlinable(inner);
  if (notInlinable !== undefined && "agent" in userChannels) {
    throw new LessonloopError("invalid_input", `The graph's state has a key "agent", the name of the node withLearning runs your graph in (because ${notInlinable}). Rename it.`);
  }

  const reading = { scope, input };
  const wrapper = new StateGraph(Annotation.Root({ ...LearningNodesAnnotation.spec, ...userChannels }), {
    input: Annotation.Root({ ...userChannels }),
    output: Annotation.Root(Object.fromEntries(outputKeys.filter((key) => key in userChannels).map((key) => [key, userChannels[key] as BaseChannel]))),
  }) as unknown as WrapperBuilder;
  wrapper
    .addNode(RETRIEVE_NODE, createRetrieveLessonsNode({ loop, retriever, clock, tools: tools === undefined ? undefined : parseWith(ToolNamesSchema, tools, "withLearning tools"), ...reading }))
    .addEdge(START, RETRIEVE_NODE)
    // Deferred and triggered by retrieve_lessons: it waits until nothing else is left to run, then runs once.
    .addNode(
      RECORD_NODE,
      createRecordEpisodeNode({ loop, learning, queue, trajectory, outcome, lessonsMessageId: retriever.messageId ?? "lessonloop-lessons", onEpisode, ids, clock, ...reading }),
      { defer: true },
    )
    .addEdge(RETRIEVE_NODE, RECORD_NODE)
    .addEdge(RECORD_NODE, END);

  let interrupts: { interruptBefore?: string[]; interruptAfter?: string[] } = {};
  const builder = inner.builder;
  if (notInlinable === undefined && isBuilderView(builder)) {
    const userNodes = Object.keys(builder.nodes);
    for (const [key, spec] of Object.entries(builder.nodes)) {
      // Policies as compiled: node defaults (setNodeDefaults) are already applied there.
      const compiled = inner.nodes[key];
      const nodeOptions: Record<string, unknown> = {
        input: spec.input,
        retryPolicy: compiled?.retryPolicy ?? spec.retryPolicy,
        cachePolicy: compiled === undefined ? spec.cachePolicy : compiled.cachePolicy,
        timeout: compiled?.timeout ?? spec.timeout,
        tracePolicy: spec.tracePolicy,
        metadata: spec.metadata,
        subgraphs: spec.subgraphs,
        ends: spec.ends,
      };
      wrapper.addNode(key, spec.runnable, Object.fromEntries(Object.entries(nodeOptions).filter(([, value]) => value !== undefined)));
    }
    // The user's entry edges and branches leave from retrieve_lessons; edges to END stay: record_episode is deferred.
    const entry = (node: string): string => (node === START ? RETRIEVE_NODE : node);
    for (const [start, end] of builder.edges) wrapper.addEdge(entry(start), end);
    for (const [starts, end] of builder.waitingEdges) wrapper.addEdge(starts.map(entry), end);
    for (const [source, branches] of Object.entries(builder.branches)) {
      for (const branch of Object.values(branches)) wrapper.addConditionalEdges(entry(source), branch.path, branch.ends);
    }
    const resolve = (nodes: InterruptNodes | undefined): string[] | undefined =>
      nodes === undefined ? undefined : nodes === "*" ? userNodes : nodes.map(String);
    const before = resolve(isBuilder(graph) ? interruptBefore : inner.interruptBefore);
    const after = resolve(isBuilder(graph) ? interruptAfter : inner.interruptAfter);
    interrupts = { ...(before === undefined ? {} : { interruptBefore: before }), ...(after === undefined ? {} : { interruptAfter: after }) };
  } else {
    console.warn(`[lessonloop] withLearning runs your graph as one "agent" node because ${notInlinable ?? "its structure is unknown"}: stream it with subgraphs: true to see its own chunks.`);
    const agent = async (state: WrappedState, config: LangGraphRunnableConfig) => {
      const userState = Object.fromEntries(userKeys.filter((key) => state[key] !== undefined).map((key) => [key, state[key]]));
      const result = await inner.invoke(userState, config);
      if (typeof result !== "object" || result === null) return {};
      // The subgraph started from this state and applied its own reducers: its final values are written back, not reduced again.
      return Object.fromEntries(
        Object.entries(result as Record<string, unknown>)
          .filter(([key]) => key in userChannels)
          .map(([key, value]) => [key, writeBack(userChannels[key] as BaseChannel, state[key], value)]),
      );
    };
    // Declared as the node's subgraph: getState(config, { subgraphs: true }) shows the user's graph while it is paused.
    wrapper
      .addNode("agent", agent, { subgraphs: [inner] })
      .addEdge(RETRIEVE_NODE, "agent")
      .addEdge("agent", RECORD_NODE);
  }

  const checkpointer = options.checkpointer ?? (typeof inner.checkpointer === "object" ? inner.checkpointer : undefined);
  const store = options.store ?? inner.store;
  const inlined = notInlinable === undefined;
  const transformers = inlined && Array.isArray(inner.streamTransformers) && inner.streamTransformers.length > 0 ? inner.streamTransformers : undefined;
  const compiled = wrapper.compile({
    ...(checkpointer === undefined ? {} : { checkpointer: pinnedCheckpointer(checkpointer, loop, clock) }),
    ...(store === undefined ? {} : { store }),
    ...(inlined && inner.cache !== undefined ? { cache: inner.cache } : {}),
    ...(transformers === undefined ? {} : { transformers }),
    ...interrupts,
    name: options.name ?? inner.name ?? "lessonloop",
    ...(inner.description === undefined ? {} : { description: inner.description }),
  });
  // "values" chunks show the user's keys, as the unwrapped graph streams them (`outputKeys`, a
  // public run option bound here); an inlined graph keeps its own withConfig() settings too.
  const userConfig = inlined && inner.config !== undefined ? inner.config : {};
  return compiled.withConfig({ ...userConfig, outputKeys: streamKeys.filter((key) => key in userChannels) });
}
