import { ScopeSchema, type Clock, type LessonKind, type LessonMemory, type OutcomeLedger, type Scope } from "@lessonloop/core";
import {
  LessonKindSchema,
  MAX_QUERY_LENGTH,
  MAX_SEARCH_TOOLS,
  ToolNameSchema,
  parseWith,
  systemClock,
  FeatureCache,
  searchShared,
  type LessonUtility,
  type SharedLessonSearch,
  type ScoredLesson,
} from "@lessonloop/core/internal";
import { z } from "zod";
import type { ExampleSource } from "./example-source.js";
import { estimateTokens, renderLessonContext, type LessonContext, type LessonContextRenderer, type ServedExample, type ServedLesson } from "./lesson-context.js";
import { DEFAULT_RANKING_WEIGHTS, rankLessons, type RankingWeights } from "./lesson-ranking.js";
import { createDeadline, type RetrieverWarningSource } from "./retriever-warning.js";
import { SearchCache } from "./search-cache.js";

/** How lessons are chosen for a task: where they come from, how they are ranked, and what fits. */
export interface LessonSelectionParams {
  /** The versioned lesson memory to read, e.g. `ChromaLessonMemory` or `InMemoryLessonMemory`. */
  memory: LessonMemory;
  /** Outcomes of runs served each lesson, for proven utility. Without it every lesson is unproven. */
  ledger?: OutcomeLedger;
  /** Experience replay: successful past runs of similar tasks, rendered after the lessons. */
  examples?: ExampleSource;
  /** At most this many examples. Default 2. */
  maxExamples?: number;
  /**
   * The most of `budget` the examples may take (0–1): lessons are chosen
   * first, then examples fill what is left up to this share, so a validated
   * lesson is never crowded out by an example. Default 0.5 (provisional, not
   * yet measured).
   */
  exampleShare?: number;
  /** Examples whose task is less similar than this (cosine, as the source scores it) to the current one are never served. Default 0.2 (provisional). */
  minExampleRelevance?: number;
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
   * Lessons whose search score (cosine similarity) is below this are never
   * served, unless anchored to a tool available in the step (`tools` of the
   * request). Default 0.1, which drops unrelated lessons with the lexical
   * embedder; raise it for embedders whose unrelated texts still score high.
   */
  minRelevance?: number;
  /** A lesson whose guidance is more similar than this (lexically, 0..1) to one already chosen is never served; 1 turns it off. Default 0.8. */
  maxSimilarity?: number;
  /** Tokens the rendered lessons and examples may take together; never exceeded. Default 600. */
  budget?: number;
  /** Counts the tokens of a text. Default: characters / 4, rounded up. */
  countTokens?: (text: string) => number;
  /** Renders lessons and examples into the message text. Default {@link renderLessonContext}. */
  render?: LessonContextRenderer;
  /**
   * The most one selection waits (ms) for memory, ledger and examples together;
   * past it the selection goes on without what has not answered. Default 1000:
   * well above the store's p99, so only a store in trouble trips it.
   */
  timeoutMs?: number;
  /**
   * How many searches to remember. A memory version never changes, so a search
   * at a version already searched is answered from here. 0 turns it off. Default 256.
   */
  cacheSize?: number;
  /** Time source for recency. Default the system clock. */
  clock?: Clock;
}

/** What to choose lessons for. */
export interface LessonSelectionRequest {
  /** The task's text; "" selects nothing. Longer texts are matched by their first 4,000 characters. */
  text: string;
  /** Whose lessons apply. */
  scope: Scope;
  /** The memory version to read (a run's pin); default the head. */
  version?: number;
  /**
   * The tools the agent may call in this step. Lessons anchored to any of them
   * (a lesson's `tools`) are candidates whatever the task's words, still ranked
   * and within the budget; lessons about no tool are found by the text alone.
   */
  tools?: readonly string[];
}

/** What a selection degraded on: the part that failed and why. The selection still answered. */
export interface SelectionDegradation {
  source: RetrieverWarningSource;
  error: unknown;
}

/** The lessons (and examples) chosen, ranked and within the budget. */
export interface LessonSelection {
  /** The memory version read; undefined when memory could not be read (or the text was empty). */
  version?: number;
  lessons: ServedLesson[];
  examples: ServedExample[];
  /** What failed or timed out on the way; empty when nothing did. */
  degraded: SelectionDegradation[];
}

/**
 * Chooses the lessons memory serves for a task, outside any graph: the
 * replay-retriever node, the validators' replays in context and any other
 * caller share it, so what is served is decided in one place.
 */
export type LessonSelector = (request: LessonSelectionRequest) => Promise<LessonSelection>;

const NumbersSchema = z.object({
  maxExamples: z.number().int().min(1).max(50),
  exampleShare: z.number().min(0).max(1),
  minExampleRelevance: z.number().min(-1).max(1),
  candidates: z.number().int().min(1).max(100),
  maxLessons: z.number().int().min(1).max(100),
  recencyHalfLifeMs: z.number().positive(),
  minRelevance: z.number().min(-1).max(1),
  maxSimilarity: z.number().gt(0).max(1),
  budget: z.number().int().min(1),
  timeoutMs: z.number().positive().max(600_000),
  cacheSize: z.number().int().min(0).max(100_000),
  kinds: z.array(LessonKindSchema).min(1).optional(),
  weights: z.object({
    relevance: z.number().min(0).max(100),
    utility: z.number().min(0).max(100),
    recency: z.number().min(0).max(100),
    diversity: z.number().min(0).max(100),
  }),
});

const ToolsSchema = z.array(ToolNameSchema).max(MAX_SEARCH_TOOLS);

const THIRTY_DAYS_MS = 30 * 24 * 60 * 60 * 1_000;
/** Longer inputs are matched by their first part; the embedder's cost grows with length. */
export const MAX_INPUT_CHARS = Math.min(4_000, MAX_QUERY_LENGTH);

/**
 * Creates a {@link LessonSelector}: finds the lessons of a memory version that
 * apply to a scope, ranks them by relevance, proven utility, recency and
 * diversity, and fits them (and optional examples of past successful runs)
 * into a token budget. It never throws for an outage: what failed is left out
 * and reported in `degraded`. A bad scope throws (it is a caller's bug).
 */
export function createLessonSelector(params: LessonSelectionParams): LessonSelector {
  const {
    memory,
    ledger,
    examples,
    maxExamples = 2,
    exampleShare = 0.5,
    minExampleRelevance = 0.2,
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
    timeoutMs = 1_000,
    cacheSize = 256,
    clock = systemClock,
  } = params;
  const weights: RankingWeights = { ...DEFAULT_RANKING_WEIGHTS, ...weightOverrides };
  parseWith(NumbersSchema, { maxExamples, exampleShare, minExampleRelevance, candidates, maxLessons, recencyHalfLifeMs, minRelevance, maxSimilarity, budget, timeoutMs, cacheSize, kinds, weights }, "lesson selection params");
  const kindList = kinds === undefined ? undefined : [...kinds];
  const kindsKey = kindList === undefined ? "*" : [...kindList].sort().join(",");
  const cache = new SearchCache(cacheSize);
  const featureCache = new FeatureCache(Math.max(cacheSize, candidates) * 4);
  const fits = (context: LessonContext): boolean => countTokens(render(context)) <= budget;

  return async function selectLessons(request: LessonSelectionRequest): Promise<LessonSelection> {
    const scope = parseWith(ScopeSchema, request.scope, "scope of the lesson selection");
    const tools = request.tools === undefined ? [] : [...new Set(parseWith(ToolsSchema, request.tools, "tools of the lesson selection"))].sort();
    const text = request.text.trim().slice(0, MAX_INPUT_CHARS);
    const degraded: SelectionDegradation[] = [];
    let version = request.version;
    let found: ScoredLesson[] = [];
    let foundExamples: ServedExample[] = [];
    let utility: Map<string, LessonUtility> | undefined;
    if (text === "") return { lessons: [], examples: [], degraded, ...(version === undefined ? {} : { version }) };

    const deadline = createDeadline(timeoutMs);
    try {
      const examplesRead =
        examples === undefined
          ? Promise.resolve<ServedExample[]>([])
          : deadline.race("example source", () => examples.findExamples({ query: text, scope, k: maxExamples, ...(request.version === undefined ? {} : { version: request.version }) })).catch((error: unknown) => {
              degraded.push({ source: "examples", error });
              return [];
            });
      try {
        version ??= await deadline.race("lesson memory", () => memory.headVersion());
        const at = version;
        const cacheKey = JSON.stringify([at, scope.tenant, scope.user ?? null, scope.agent ?? null, kindsKey, tools, text]);
        const cached = cache.get(cacheKey);
        if (cached !== undefined) {
          found = [...cached];
        } else {
          const anchors = tools.length === 0 ? {} : { tools };
          const search = { query: text, scope, k: candidates, version: at, kinds: kindList, ...anchors };
          // Lessons are only read here and what is served is copied below, so a memory's own may be shared.
          found = await deadline.race("lesson memory", () => (searchShared in memory ? (memory as LessonMemory & SharedLessonSearch)[searchShared](search) : memory.search(search)));
          cache.set(cacheKey, found);
        }
      } catch (error) {
        degraded.push({ source: "memory", error });
        found = [];
      }
      if (ledger !== undefined && found.length > 0) {
        const ids = found.map((scored) => scored.lesson.id);
        utility = await deadline.race("outcome ledger", () => ledger.lessonUtility(ids)).catch((error: unknown) => {
          degraded.push({ source: "ledger", error });
          return undefined;
        });
      }
      foundExamples = await examplesRead;
    } finally {
      deadline.clear();
    }

    const lessons: ServedLesson[] = [];
    rankLessons({
      candidates: found,
      utility,
      now: clock.now().getTime(),
      weights,
      recencyHalfLifeMs,
      minRelevance,
      ...(tools.length === 0 ? {} : { availableTools: new Set(tools) }),
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
    // What the examples add to the rendering, capped at their share of the budget.
    const lessonsOnly = lessons.length === 0 ? 0 : countTokens(render({ lessons, examples: [] }));
    const exampleRoom = Math.floor(budget * exampleShare);
    for (const example of foundExamples) {
      if (example.score < minExampleRelevance) continue;
      const context = { lessons, examples: [...served, example] };
      const tokens = countTokens(render(context));
      if (tokens <= budget && tokens - lessonsOnly <= exampleRoom) served.push(example);
    }
    // The caller may change what it gets; the cached lessons stay as read.
    for (const lesson of lessons) lesson.lesson = structuredClone(lesson.lesson);
    return { lessons, examples: served, degraded, ...(version === undefined ? {} : { version }) };
  };
}
