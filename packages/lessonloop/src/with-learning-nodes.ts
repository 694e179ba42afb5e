import { RemoveMessage, type BaseMessage } from "@langchain/core/messages";
import { Annotation, type LangGraphRunnableConfig } from "@langchain/langgraph";
import {
  type Clock,
  type Episode,
  type EpisodeQueue,
  type IdGenerator,
  type MemoryPin,
  type Outcome,
  type Scope,
  type TrajectoryStep,
} from "@lessonloop/core";
import { MEMORY_PIN_KEY } from "@lessonloop/core/internal";
import { LessonContextAnnotation, type ReplayRetrieverState, type ServedLesson } from "@lessonloop/replay-retriever";
import { calledTools } from "./available-tools.js";
import { createEpisodeRecorder, messageText, trajectoryFromMessages } from "./episode-recorder.js";
import { episodeWarning } from "./learning-events.js";
import type { LearningLoop, LoopRetrieverParams } from "./learning-loop.js";
import { readRunScope, warnRunScope, type RunScope } from "./run-scope.js";

/** When learning happens relative to the user's run. */
export type LearningTiming =
  /** The run returns after its episode was learned (tests, demos, low-traffic agents). */
  | "sync"
  /** The run returns at once; the episode waits in the loop's bounded queue (production). */
  | "background"
  /** Lessons are retrieved, episodes are recorded (`onEpisode`) and their outcomes credited to the lessons served (deterministic signals only); nothing is learned. */
  | "off";

/**
 * Hands a recorded run's episode to the loop by `learning`: learned now, queued,
 * or (off) only credited — its outcome goes to the lessons it was served, for the
 * regression monitor. With a shared `queue`, a background episode goes there
 * instead, and this resolves once the queue holds it durably: the run is
 * acknowledged after that. Never throws: learning never fails the user's run.
 */
export async function handEpisodeToLoop(loop: LearningLoop, learning: LearningTiming, episode: Episode, queue?: EpisodeQueue): Promise<void> {
  if (learning === "off") {
    // Off the run's path: the loop keeps track of the credit, so its idle() and close() wait for it.
    void loop.credit(episode).catch((error: unknown) => loop.warn({ source: "crediting", warning: episodeWarning(episode.id, error) }));
    return;
  }
  if (learning === "background" && queue !== undefined) {
    try {
      await queue.enqueue([episode]);
    } catch (error) {
      loop.warn({ source: "queue", warning: episodeWarning(episode.id, error) });
    }
    return;
  }
  try {
    if (learning === "sync") await loop.learn(episode);
    else await loop.enqueue(episode);
  } catch (error) {
    // Sync failures are already the loop's `learning_failed` events.
    if (learning === "background") loop.warn({ source: "queue", warning: episodeWarning(episode.id, error) });
  }
}

/** The state key where the run's start is kept between the two nodes (checkpointed, so it survives a pause). */
export const RUN_MARKER_KEY = "lessonloopRun";

/** Which run is being recorded: its input message and start time. */
export interface RunMarker {
  /** Id of the human message the run answers; the trajectory starts there. */
  inputMessageId: string | undefined;
  /** When the run started (ISO 8601). */
  startedAt: string;
  /** Set when the run's scope was invalid: it was served no lessons, and is not recorded. */
  scopeInvalid?: true;
}

/** The state the two nodes see: the user's keys, plus the lesson-context keys and the run marker. */
export type WrappedState = Record<string, unknown> & ReplayRetrieverState & { [RUN_MARKER_KEY]?: RunMarker | undefined };

/** The state keys the two nodes add to the user's: the retriever's lesson context and the run marker. */
export const LearningNodesAnnotation = Annotation.Root({
  ...LessonContextAnnotation.spec,
  [RUN_MARKER_KEY]: Annotation<RunMarker | undefined>({ reducer: (_previous, next) => next, default: () => undefined }),
});

/** Node names: ordinary nodes, added with `addNode` like any of the user's. */
export const RETRIEVE_NODE = "retrieve_lessons";
export const RECORD_NODE = "record_episode";

/** How the two nodes read a run: its scope and its input text. */
export interface RunReading {
  scope: Scope | ((state: WrappedState, config: LangGraphRunnableConfig) => Scope);
  input: ((state: WrappedState) => string | undefined) | undefined;
}

export function messagesOf(state: WrappedState): BaseMessage[] {
  const messages: unknown = state["messages"];
  return Array.isArray(messages) ? (messages as BaseMessage[]) : [];
}

function lastHuman(messages: readonly BaseMessage[]): BaseMessage | undefined {
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index] as BaseMessage;
    if (message.getType() === "human") return message;
  }
  return undefined;
}

/** The messages of the run: from its human message on (the whole list when that message is gone). */
function runMessages(messages: readonly BaseMessage[], run: RunMarker | undefined): readonly BaseMessage[] {
  if (run?.inputMessageId === undefined) return messages;
  const start = messages.findIndex((message) => message.id === run.inputMessageId);
  return start === -1 ? messages : messages.slice(start);
}

/** The tools called since the last human message: the run's so far. */
function toolsCalledInRun(messages: readonly BaseMessage[]): string[] {
  const human = lastHuman(messages);
  return calledTools(human === undefined ? messages : messages.slice(messages.indexOf(human)));
}

function scopeReader({ scope }: RunReading) {
  return (state: WrappedState, config: LangGraphRunnableConfig): RunScope =>
    readRunScope(() => (typeof scope === "function" ? scope(state, config) : scope), "withLearning scope");
}

function inputReader({ input }: RunReading) {
  return (state: WrappedState): string | undefined => {
    if (input !== undefined) return input(state);
    const human = lastHuman(messagesOf(state));
    return human === undefined ? undefined : messageText(human);
  };
}

export interface RetrieveLessonsNodeParams extends RunReading {
  loop: LearningLoop;
  /** Tools the user declared the graph's agent has; lessons anchored to them, or to a tool the run called, are served whatever the input's words. */
  tools: readonly string[] | undefined;
  /** Retriever settings; `scope` and `input` come from the run reading. */
  retriever: Omit<LoopRetrieverParams, "scope" | "input" | "tools">;
  clock: Clock;
}

/**
 * The `retrieve_lessons` node: the loop's replay-retriever (lessons into
 * `messages`, the run pinned to a memory version), plus the run marker the
 * recorder reads.
 */
export function createRetrieveLessonsNode({ loop, retriever, clock, tools: declared, ...reading }: RetrieveLessonsNodeParams) {
  const readScope = scopeReader(reading);
  const lessonsMessageId = retriever.messageId ?? "lessonloop-lessons";
  const retrieveLessons = loop.createRetriever<WrappedState>({
    ...retriever,
    // Only called with a scope read valid just before.
    scope: (state, config) => readScope(state, config).scope as Scope,
    ...(reading.input === undefined ? {} : { input: reading.input }),
    // The declared tools, and those the run has called so far (from its human message on).
    tools: (state) => [...new Set([...(declared ?? []), ...toolsCalledInRun(messagesOf(state))])],
  });
  return async function retrieveLessonsNode(state: WrappedState, config: LangGraphRunnableConfig) {
    const marker: RunMarker = { inputMessageId: lastHuman(messagesOf(state))?.id, startedAt: clock.now().toISOString() };
    const { error } = readScope(state, config);
    if (error !== undefined) {
      warnRunScope(loop, "withLearning", error);
      // No lessons: a lessons message left by the thread's previous run goes too.
      const stale = messagesOf(state).some((message) => message.id === lessonsMessageId);
      return { servedLessons: [], servedExamples: [], ...(stale ? { messages: [new RemoveMessage({ id: lessonsMessageId })] } : {}), [RUN_MARKER_KEY]: { ...marker, scopeInvalid: true } };
    }
    const update = await retrieveLessons(state, config);
    return { ...update, [RUN_MARKER_KEY]: marker };
  };
}

export interface RecordEpisodeNodeParams extends RunReading {
  loop: LearningLoop;
  learning: LearningTiming;
  queue: EpisodeQueue | undefined;
  trajectory: ((state: WrappedState, run: RunMarker | undefined) => TrajectoryStep[]) | undefined;
  outcome: ((state: WrappedState) => Outcome | undefined) | undefined;
  /** Id of the lessons message, left out of the trajectory. */
  lessonsMessageId: string;
  onEpisode: ((episode: Episode) => void) | undefined;
  ids: IdGenerator;
  clock: Clock;
}

/**
 * The `record_episode` node: builds the run's `Episode` (input, trajectory,
 * scope, pinned memory version, served lessons) and hands it to the loop —
 * learned before returning (`"sync"`), queued (`"background"`) or, with
 * `"off"`, reported and credited (`loop.credit`: its outcome, by the critic's
 * deterministic signals, to the lessons it was served). It changes no state
 * and never fails the run.
 */
export function createRecordEpisodeNode({ loop, learning, queue, trajectory, outcome, lessonsMessageId, onEpisode, ids, clock, ...reading }: RecordEpisodeNodeParams) {
  const resolveScope = scopeReader(reading);
  const inputOf = inputReader(reading);
  const recordEpisode = createEpisodeRecorder({ ids, clock });

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

  return async function recordEpisodeNode(state: WrappedState, config: LangGraphRunnableConfig) {
    const task = inputOf(state);
    if (task === undefined || task.trim() === "" || state[RUN_MARKER_KEY]?.scopeInvalid === true) return {};
    const { scope, error } = resolveScope(state, config);
    // A scope that turned invalid during the run: reported, and the run taught nothing.
    if (error !== undefined) {
      warnRunScope(loop, "withLearning", error);
      return {};
    }
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
        scope,
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
    await handEpisodeToLoop(loop, learning, episode, queue);
    return {};
  };
}
