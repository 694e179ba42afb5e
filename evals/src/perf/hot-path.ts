import { HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import { InMemoryStore, type LangGraphRunnableConfig, type PutOperation } from "@langchain/langgraph";
import { ChromaLessonMemory } from "@lessonloop/chroma";
import { LessonSchema, type LessonInput, type Scope } from "@lessonloop/core";
import { lessonSearchText, scopeApplies, type LexicalEmbedder } from "@lessonloop/core/internal";
import { createSeededRandom } from "@lessonloop/core/testing";
import { createReplayRetriever, estimateTokens, renderLessonContext, type ReplayRetrieverState } from "@lessonloop/replay-retriever";
import { fillMemory, request, requestScope } from "./lesson-corpus.js";
import { LexicalLangChainEmbeddings } from "./lexical-langchain-embeddings.js";
import { latency, loadAverage, processMemory, round, settle, timed } from "./machine-probe.js";
import type { HotPathSize } from "./perf-results.js";

/** A memory filled once and shared by the sections that need its size. */
export interface SeededMemory {
  size: number;
  memory: ChromaLessonMemory;
  lessons: LessonInput[];
  fillSeconds: number;
}

export interface HotPathParams {
  /** Up to how many live lessons the memory answers from its in-process live index (0: always Chroma). */
  liveIndexLessons: number;
  /** The Chroma server's URL and process id (for its memory). */
  url: string;
  serverPid: number | undefined;
  /** Memory sizes, ascending. */
  sizes: readonly number[];
  embedder: LexicalEmbedder;
  repeats: number;
  /** Runs timed per repeat (each: a first step and a pinned step). */
  steps: number;
  /** InMemoryStore searches timed per repeat at the largest size (more at smaller ones). */
  baselineSearches: number;
  /** Lessons the retriever fetches from memory before ranking. */
  candidates: number;
  /** The retriever's token budget. */
  budget: number;
  /** Told about progress. */
  log: (line: string) => void;
}

const LESSONS_MESSAGE_ID = "lessonloop-lessons";
const WARMUP = 20;

/** Fills one Chroma memory per size, in one server, with the same generator; each refreshed in the background, as `openChromaStores` opens the agent's memory. */
export async function seedMemories({ url, sizes, embedder, liveIndexLessons, log }: Pick<HotPathParams, "url" | "sizes" | "embedder" | "liveIndexLessons" | "log">): Promise<SeededMemory[]> {
  const seeded: SeededMemory[] = [];
  for (const size of sizes) {
    const memory = await ChromaLessonMemory.open({ url, name: `perf-${size}-${Date.now()}`, embedder, liveIndexLessons, refresh: "background" });
    const [lessons, ms] = await timed(() => fillMemory(memory, createSeededRandom(size), size));
    seeded.push({ size, memory, lessons, fillSeconds: round(ms / 1_000, 1) });
    log(`filled ${size.toLocaleString("en")} lessons in ${round(ms / 1_000, 1)} s`);
  }
  return seeded;
}

/** The process's heap and array buffers in MiB, after a garbage collection where one can be asked for. */
function heapMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return (heapUsed + arrayBuffers) / 2 ** 20;
}

function lessonsMessageTokens(messages: readonly BaseMessage[] | undefined): number {
  const message = messages?.find((candidate) => candidate.id === LESSONS_MESSAGE_ID);
  return message === undefined ? 0 : estimateTokens(message.text);
}

/** Tokens of every lesson that applies to the scope, rendered as the retriever renders its choice. */
function allLessonsTokens(lessons: readonly LessonInput[], scope: Scope): number {
  const applicable = lessons.filter((lesson) => scopeApplies(lesson.scope, scope)).map((lesson) => LessonSchema.parse(lesson));
  const served = applicable.map((lesson) => ({ lesson, score: 1, relevance: 1, utility: 0.5, recency: 1, redundancy: 0, rank: 1 }));
  return estimateTokens(renderLessonContext({ lessons: served, examples: [] }));
}

/**
 * The exact in-process floor: every lesson vector of the memory, normalised, in
 * one Float32Array packed dimension by dimension (as the live index packs a
 * tenant's), a cosine top-k by a full scan over the dimensions the query uses;
 * no scope, no ranking, no copies.
 */
async function exactFloor(lessons: readonly LessonInput[], embedder: LexicalEmbedder, k: number): Promise<(query: string) => Promise<number[]>> {
  const dimensions = embedder.dimensions;
  const count = lessons.length;
  const vectors = new Float32Array(count * dimensions);
  const embedded = await embedder.embedDocuments(lessons.map((lesson) => lessonSearchText(lesson)));
  embedded.forEach((vector, row) => normalised(vector).forEach((value, dimension) => (vectors[dimension * count + row] = value)));
  const scores = new Float64Array(count);
  return async (query) => {
    const target = normalised(await embedder.embedQuery(query));
    scores.fill(0);
    for (let dimension = 0; dimension < dimensions; dimension++) {
      const weight = target[dimension] as number;
      if (weight === 0) continue;
      for (let row = 0, base = dimension * count; row < count; row++) scores[row] = (scores[row] as number) + weight * (vectors[base + row] as number);
    }
    const best: { row: number; score: number }[] = [];
    for (let row = 0; row < count; row++) {
      const score = scores[row] as number;
      if (best.length === k && score <= (best[k - 1] as { score: number }).score) continue;
      best.push({ row, score });
      best.sort((a, b) => b.score - a.score);
      if (best.length > k) best.pop();
    }
    return best.map((hit) => hit.row);
  };
}

function normalised(vector: readonly number[]): Float32Array {
  const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0)) || 1;
  return Float32Array.from(vector, (value) => value / norm);
}

/** LangGraph's InMemoryStore with semantic search over the same lessons: one namespace per tenant, user as a filter. */
async function buildInMemoryStore(lessons: readonly LessonInput[], embedder: LexicalEmbedder): Promise<InMemoryStore> {
  const store = new InMemoryStore({ index: { dims: embedder.dimensions, embeddings: new LexicalLangChainEmbeddings(embedder), fields: ["text"] } });
  for (let start = 0; start < lessons.length; start += 1_000) {
    const puts = lessons.slice(start, start + 1_000).map(
      (lesson): PutOperation => ({
        namespace: ["lessons", lesson.scope.tenant],
        key: lesson.id,
        value: { text: lessonSearchText(lesson), user: lesson.scope.user ?? "*", trigger: lesson.trigger, guidance: lesson.guidance },
      }),
    );
    await store.batch(puts);
  }
  return store;
}

/**
 * Section 1: what the replay-retriever adds to an agent step, at each size,
 * next to `memory.search` alone, LangGraph's InMemoryStore and "every lesson
 * in the prompt".
 */
export async function measureHotPath(params: Omit<HotPathParams, "url" | "sizes" | "liveIndexLessons"> & { seeded: readonly SeededMemory[] }): Promise<HotPathSize[]> {
  const { seeded, serverPid, embedder, repeats, steps, baselineSearches, candidates, budget, log } = params;
  const results: HotPathSize[] = [];
  const largest = Math.max(...seeded.map((entry) => entry.size));
  for (const { size, memory, lessons, fillSeconds } of seeded) {
    await settle(serverPid);
    // The live index loads in the background on the first search at the head; the steps are timed once it is there.
    const before = heapMiB();
    const [, loadMs] = await timed(() => memory.liveIndexSettled());
    const indexed = memory.liveIndexStats?.lessons ?? 0;
    const liveIndex = { lessons: indexed, loadSeconds: round(loadMs / 1_000, 2), vectorMiB: round((indexed * embedder.dimensions * 4) / 2 ** 20, 1), heapMiB: round(heapMiB() - before, 1) };
    if (indexed > 0) log(`live index at ${size.toLocaleString("en")}: ${indexed} lessons loaded in ${liveIndex.loadSeconds} s, ${liveIndex.vectorMiB} MiB of vectors, heap +${liveIndex.heapMiB} MiB`);
    const random = createSeededRandom(size + 1);
    let degraded = 0;
    const retrieve = createReplayRetriever({
      memory,
      candidates,
      budget,
      scope: (_state, config) => config.configurable?.["scope"] as Scope,
      onWarning: () => void degraded++,
    });
    const firstRepeats: number[][] = [];
    const pinnedRepeats: number[][] = [];
    const searchRepeats: number[][] = [];
    const tokens: number[] = [];
    const scopes: Scope[] = [];
    let run = 0;
    for (let repeat = 0; repeat < repeats; repeat++) {
      const first: number[] = [];
      const pinned: number[] = [];
      for (let step = 0; step < WARMUP + steps; step++) {
        const scope = requestScope(random);
        const messages: BaseMessage[] = [
          new SystemMessage({ id: "system", content: "You are the support agent of an online shop. Be brief and exact." }),
          new HumanMessage({ id: `human-${run}`, content: request(random) }),
        ];
        const state: ReplayRetrieverState = { messages, servedLessons: [], servedExamples: [], lessonServedLog: [] };
        const config: LangGraphRunnableConfig = { configurable: { thread_id: `thread-${run++}`, scope }, metadata: { langgraph_step: 1 } };
        const [update, firstMs] = await timed(() => retrieve(state, config));
        // A later step of the same run (after a tool call): the pin is reused.
        const later: ReplayRetrieverState = { ...state, ...update, messages: [...messages, ...(update.messages ?? [])], lessonServedLog: update.lessonServedLog ?? [] };
        const [, pinnedMs] = await timed(() => retrieve(later, { ...config, metadata: { langgraph_step: 3 } }));
        if (step < WARMUP) continue;
        first.push(firstMs);
        pinned.push(pinnedMs);
        tokens.push(lessonsMessageTokens(update.messages));
        if (scopes.length < 10) scopes.push(scope);
      }
      const searches: number[] = [];
      for (let i = 0; i < steps; i++) {
        const query = request(random);
        const scope = requestScope(random);
        searches.push((await timed(() => memory.search({ query, scope, k: candidates })))[1]);
      }
      firstRepeats.push(first);
      pinnedRepeats.push(pinned);
      searchRepeats.push(searches);
    }
    const load = loadAverage()[0];
    // Taken before the InMemoryStore baseline, which holds every vector in this process.
    const [processMem, chromaMem] = await Promise.all([processMemory("self"), processMemory(serverPid)]);
    if (degraded > 0) log(`  ${degraded} degraded retrievals at ${size.toLocaleString("en")} (memory past the retriever's timeout)`);

    // The baselines scan every vector: fewer samples at larger sizes, as many full scans at every size.
    const searchesPerRepeat = Math.max(5, Math.round((baselineSearches * largest) / size / 4));
    const floor = await exactFloor(lessons, embedder, candidates);
    const floorRepeats: number[][] = [];
    for (let repeat = 0; repeat < repeats; repeat++) {
      const samples: number[] = [];
      for (let i = 0; i < Math.min(searchesPerRepeat, steps); i++) samples.push((await timed(() => floor(request(random))))[1]);
      floorRepeats.push(samples);
    }

    const store = await buildInMemoryStore(lessons, embedder);
    const storeRepeats: number[][] = [];
    for (let repeat = 0; repeat < repeats; repeat++) {
      const samples: number[] = [];
      for (let i = 0; i < Math.min(searchesPerRepeat, steps); i++) {
        const query = request(random);
        const scope = requestScope(random);
        const [found, ms] = await timed(() =>
          store.search(["lessons", scope.tenant], { query, filter: { user: { $in: ["*", scope.user] } }, limit: candidates }),
        );
        if (found.length === 0) throw new Error("InMemoryStore found nothing: the baseline is not searching the lessons");
        samples.push(ms);
      }
      storeRepeats.push(samples);
    }

    const firstStep = latency(firstRepeats);
    const inMemoryStore = latency(storeRepeats);
    const floorLatency = latency(floorRepeats);
    const sortedTokens = [...tokens].sort((a, b) => a - b);
    const allTokens = scopes.map((scope) => allLessonsTokens(lessons, scope)).sort((a, b) => a - b);
    results.push({
      lessons: size,
      fillSeconds,
      firstStep,
      pinnedStep: latency(pinnedRepeats),
      searchOnly: latency(searchRepeats),
      exactFloor: floorLatency,
      firstStepVsFloor: round(firstStep.p50.median / floorLatency.p50.median, 1),
      liveIndex,
      inMemoryStore,
      speedupVsInMemoryStore: round(inMemoryStore.p50.median / firstStep.p50.median, 1),
      ourTokens: { p50: sortedTokens[Math.floor(sortedTokens.length / 2)] ?? 0, max: sortedTokens.at(-1) ?? 0 },
      allLessonsTokens: allTokens[Math.floor(allTokens.length / 2)] ?? 0,
      processMemory: processMem,
      chromaMemory: chromaMem,
      load,
    });
    log(
      `hot path at ${size.toLocaleString("en")}: first step p50 ${firstStep.p50.median} ms, p99 ${firstStep.p99.median} ms; exact floor p50 ${floorLatency.p50.median} ms; InMemoryStore p50 ${inMemoryStore.p50.median} ms`,
    );
  }
  return results;
}
