import { Annotation } from "@langchain/langgraph";
import { type Lesson, type MemoryPin } from "@lessonloop/core";
import { MEMORY_PIN_KEY, promptSafeLessonText } from "@lessonloop/core/internal";
import type { ExperienceExample } from "./example-source.js";
import type { RankedLesson } from "./lesson-ranking.js";

/** A lesson the retriever put into the agent's context, with the parts of its score. */
export type ServedLesson = RankedLesson;

/** A successful past run the retriever replayed as an example. */
export type ServedExample = ExperienceExample;

/** Which lessons (and examples) one retrieval served, so outcomes can be credited to them. */
export interface ServedLogEntry {
  /** The graph step (`langgraph_step`) the retrieval ran in. */
  step: number;
  /** The memory version the lessons were read from. */
  version: number;
  /** Fingerprint of the input they were retrieved for (the pin's `input`). */
  input: string;
  /** Ids of the lessons served, in the order given to the agent. */
  lessonIds: string[];
  /** Ids of the episodes replayed as examples. */
  exampleIds: string[];
}

/** The served log keeps this many entries, newest last; older ones fall off. */
export const SERVED_LOG_LIMIT = 1_000;

/**
 * State keys the replay-retriever writes, for graphs to spread into their own
 * state. Graphs that build their own prompts read `servedLessons` and
 * `servedExamples`; `lessonMemoryPin` keeps a run on one memory version; the
 * outcome of a run is credited through `lessonServedLog`.
 *
 * ```ts
 * const State = Annotation.Root({ ...MessagesAnnotation.spec, ...LessonContextAnnotation.spec });
 * ```
 */
export const LessonContextAnnotation = Annotation.Root({
  /** The lessons of the latest retrieval, best first. Replaced by each retrieval. */
  servedLessons: Annotation<ServedLesson[]>({ reducer: (_previous, next) => next, default: () => [] }),
  /** The examples of the latest retrieval, most similar first. Replaced by each retrieval. */
  servedExamples: Annotation<ServedExample[]>({ reducer: (_previous, next) => next, default: () => [] }),
  /** The memory version this run is served from, and the input it was pinned for. */
  [MEMORY_PIN_KEY]: Annotation<MemoryPin | undefined>({ reducer: (_previous, next) => next, default: () => undefined }),
  /** One entry per retrieval, oldest first, at most {@link SERVED_LOG_LIMIT}. */
  lessonServedLog: Annotation<ServedLogEntry[]>({
    reducer: (previous, next) => {
      const merged = previous.concat(next);
      return merged.length > SERVED_LOG_LIMIT ? merged.slice(merged.length - SERVED_LOG_LIMIT) : merged;
    },
    default: () => [],
  }),
});

/** What a renderer turns into the lessons message. */
export interface LessonContext {
  /** Lessons, best first. */
  lessons: readonly ServedLesson[];
  /** Examples, most similar first. */
  examples: readonly ServedExample[];
}

/** Turns the chosen lessons and examples into the text of the system message; "" for none. */
export type LessonContextRenderer = (context: LessonContext) => string;

const LEADING_WHEN = /^when[:\s]\s*/i;

/**
 * Prompt-safe trigger and guidance of frozen lessons (the memory's own, which
 * the selector shares and cannot change), made once rather than on each of
 * the renderings a selection makes on every step.
 */
const safeTexts = new WeakMap<Lesson, { trigger: string; guidance: string }>();

function safeTextsOf(lesson: Lesson): { trigger: string; guidance: string } {
  const known = safeTexts.get(lesson);
  if (known !== undefined) return known;
  const texts = { trigger: promptSafeLessonText(lesson.trigger).replace(LEADING_WHEN, ""), guidance: promptSafeLessonText(lesson.guidance) };
  if (Object.isFrozen(lesson)) safeTexts.set(lesson, texts);
  return texts;
}

/**
 * The default rendering: says the lessons come from past runs, lists each as
 * "When: trigger / Do: guidance", then the examples as task and condensed steps.
 */
export function renderLessonContext({ lessons, examples }: LessonContext): string {
  const parts: string[] = [];
  if (lessons.length > 0) {
    const lines = [
      "Lessons learned from past runs of this agent. Apply each one whose situation matches the current task:",
      // Lessons are data: each stays on its two lines, unable to open a heading or an entry of its own.
      ...lessons.map(({ lesson }, index) => {
        const { trigger, guidance } = safeTextsOf(lesson);
        return `${index + 1}. When: ${trigger}\n   Do: ${guidance}`;
      }),
    ];
    parts.push(lines.join("\n"));
  }
  if (examples.length > 0) {
    const lines = ["Successful past runs of similar tasks, for reference:"];
    examples.forEach((example, index) => {
      lines.push(`Example ${index + 1}. Task: ${example.input.replace(/\s+/g, " ").trim()}`);
      for (const step of example.steps) lines.push(`   - ${step}`);
    });
    parts.push(lines.join("\n"));
  }
  return parts.join("\n\n");
}

/** About four characters a token: a deterministic stand-in for a tokenizer. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
