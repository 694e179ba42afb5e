import { type Clock, type LessonMemory, type MemoryPin, type OutcomeLedger, type Scope } from "@lessonloop/core";
import { MEMORY_PIN_KEY } from "@lessonloop/core/internal";
import {
  createReplayRetriever,
  estimateTokens,
  renderLessonContext,
  type ExperienceExample,
  type ReplayRetrieverNode,
  type ReplayRetrieverParams,
  type ReplayRetrieverState,
  type ServedLesson,
} from "@lessonloop/replay-retriever";
import type { Task } from "../environments/world.js";
import type { PreparedContext } from "./strategy.js";

interface ReaderState extends ReplayRetrieverState {
  input: string;
  scope: Scope;
}

/** A context read through the retriever, with the lessons it served. */
export interface ReadContext extends PreparedContext {
  served: ServedLesson[];
}

/** What the agent is shown of a retrieval: the lessons, the worked examples, or both. */
export type ServedParts = "lessons" | "lessons-and-examples" | "examples";

/** The retriever params the reader sets; a factory may add its own (a loop's examples). */
type ReaderRetrieverParams = Omit<ReplayRetrieverParams<ReaderState>, "memory" | "ledger" | "onWarning">;

export interface LessonContextReaderParams {
  memory: LessonMemory;
  ledger?: OutcomeLedger;
  clock: Clock;
  /** Token budget of the lessons in the prompt. */
  budget: number;
  /** Told when the retriever degrades (memory down, timeout). */
  onWarning: (message: string) => void;
  /** The tools the agent has (the world's documented tools): lessons anchored to them are candidates whatever the task's words, as in a real agent's step. */
  tools?: readonly string[];
  /** What the agent is shown. Default `"lessons"`. */
  serve?: ServedParts;
  /** Makes the retriever; default the replay-retriever on `memory` and `ledger` (no examples). A learning loop's `createRetriever` serves its examples. */
  createRetriever?: (params: ReaderRetrieverParams) => ReplayRetrieverNode<ReaderState>;
}

/**
 * Reads the agent's lesson context for a task through the real
 * replay-retriever, exactly as a graph's `retrieve_lessons` node would, at the
 * live version or at an older one (to replay a probe with the memory as it
 * was before a merge).
 */
export function createLessonContextReader({
  memory,
  ledger,
  clock,
  budget,
  onWarning,
  tools,
  serve = "lessons",
  createRetriever = (params) => createReplayRetriever<ReaderState>({ ...params, memory, ledger, onWarning: (warning) => onWarning(warning.message) }),
}: LessonContextReaderParams) {
  const retrieve = createRetriever({
    clock,
    budget,
    scope: (state) => state.scope,
    input: (state) => state.input,
    ...(tools === undefined ? {} : { tools: () => tools }),
    addMessage: false,
    // Shown examples alone, the lessons chosen first would still take their room: one lesson, then dropped.
    ...(serve === "examples" ? { maxLessons: 1 } : {}),
  });
  // The retriever pins a run by a fingerprint of its input; the first read of a text tells us that fingerprint.
  const inputKeys = new Map<string, string>();

  return async function read(task: Task, version?: number): Promise<ReadContext> {
    const known = inputKeys.get(task.request);
    const pin: MemoryPin | undefined = version === undefined || known === undefined ? undefined : { version, input: known };
    const state: ReaderState = { input: task.request, scope: task.scope, lessonServedLog: [], [MEMORY_PIN_KEY]: pin };
    const update = await retrieve(state, {});
    const fresh = update[MEMORY_PIN_KEY];
    if (fresh !== undefined) inputKeys.set(task.request, fresh.input);
    if (version !== undefined && pin === undefined && fresh !== undefined) return read(task, version);
    const servedVersion = pin?.version ?? fresh?.version ?? 0;
    const lessons = serve === "examples" ? [] : update.servedLessons;
    const examples: ExperienceExample[] = serve === "lessons" ? [] : update.servedExamples;
    const text = renderLessonContext({ lessons, examples });
    const lessonTokens = lessons.length === 0 ? 0 : estimateTokens(renderLessonContext({ lessons, examples: [] }));
    return {
      text,
      servedLessons: lessons.map((served) => served.lesson.id),
      memoryVersion: servedVersion,
      served: lessons,
      examples: { ids: examples.map((example) => example.id), lessonTokens, exampleTokens: estimateTokens(text) - lessonTokens },
    };
  };
}

export type LessonContextReader = ReturnType<typeof createLessonContextReader>;
