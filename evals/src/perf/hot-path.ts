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

/** Fills one Chroma memory per size, in one server, with the same generator. */
export async function seedMemories({ url, sizes, embedder, log }: Pick<HotPathParams, "url" | "sizes" | "embedder" | "log">): Promise<SeededMemory[]> {
  const seeded: SeededMemory[] = [];
  for (const size of sizes) {
    const memory = await ChromaLessonMemory.open({ url, name: `perf-${size}-${Date.now()}`, embedder });
    const [lessons, ms] = await timed(() => fillMemory(memory, createSeededRandom(size), size));
    seeded.push({ size, memory, lessons, fillSeconds: round(ms / 1_000, 1) });
    log(`filled ${size.toLocaleString("en")} lessons in ${round(ms / 1_000, 1)} s`);
  }
  return seeded;
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
export async function measureHotPath(params: Omit<HotPathParams, "url" | "sizes"> & { seeded: readonly SeededMemory[] }): Promise<HotPathSize[]> {
  const { seeded, serverPid, embedder, repeats, steps, baselineSearches, candidates, budget, log } = params;
  const results: HotPathSize[] = [];
  const largest = Math.max(...seeded.map((entry) => entry.size));
  for (const { size, memory, lessons, fillSeconds } of seeded) {
    await settle(serverPid);
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

    const store = await buildInMemoryStore(lessons, embedder);
    const searchesPerRepeat = Math.max(5, Math.round((baselineSearches * largest) / size / 4));
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
    const sortedTokens = [...tokens].sort((a, b) => a - b);
    const allTokens = scopes.map((scope) => allLessonsTokens(lessons, scope)).sort((a, b) => a - b);
    results.push({
      lessons: size,
      fillSeconds,
      firstStep,
      pinnedStep: latency(pinnedRepeats),
      searchOnly: latency(searchRepeats),
      inMemoryStore,
      speedupVsInMemoryStore: round(inMemoryStore.p50.median / firstStep.p50.median, 1),
      ourTokens: { p50: sortedTokens[Math.floor(sortedTokens.length / 2)] ?? 0, max: sortedTokens.at(-1) ?? 0 },
      allLessonsTokens: allTokens[Math.floor(allTokens.length / 2)] ?? 0,
      processMemory: processMem,
      chromaMemory: chromaMem,
      load,
    });
    log(`hot path at ${size.toLocaleString("en")}: first step p50 ${firstStep.p50.median} ms, p99 ${firstStep.p99.median} ms; InMemoryStore p50 ${inMemoryStore.p50.median} ms`);
  }
  return results;
}
