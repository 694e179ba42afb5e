/**
 * Added latency per agent step of the replay-retriever node, on a real embedded
 * Chroma server with the offline lexical embedder, at 1k and 10k lessons.
 *
 * The node is called as LangGraph calls it — `(state, config)` with a realistic
 * state (a support conversation with tool calls and an earlier lessons message)
 * and `langgraph_step` metadata — and timed end to end: scope, head version,
 * vector search with the scope and version filter, outcome ledger, ranking,
 * budget fitting, rendering and the state update. `memory.search` alone is
 * timed on the same queries, to tell Chroma's share from ours.
 *
 *   pnpm bench:component retriever            # 1k and 10k
 *   pnpm bench:component retriever 1000       # one size
 */
import { AIMessage, HumanMessage, SystemMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { ChromaLessonMemory, startChroma } from "@lessonloop/chroma";
import { InMemoryOutcomeLedger, createLexicalEmbedder, type LessonInput, type LessonMemory, type OutcomeLedger } from "@lessonloop/core";
import { createSeededRandom, patchMemory, percentile, type SeededRandom } from "@lessonloop/core/testing";
import { createReplayRetriever, type ReplayRetrieverState } from "@lessonloop/replay-retriever";
import { cpus, loadavg } from "node:os";
import { USERS, lesson, request, tenantOf } from "../lesson-corpus.js";
import { cpuMs, round } from "../machine-probe.js";
import { writeComponentResults } from "./component-results.js";

const COMMIT_SIZE = 1_000;
const STEPS = 400;
const WARMUP = 40;
const OUTCOMES = 2_000;
const TIME = "2026-01-01T00:00:00.000Z";

/** Time spent awaiting memory and ledger during the current step. */
const spent = { memory: 0, ledger: 0 };
async function timedCall<T>(account: keyof typeof spent, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await run();
  } finally {
    spent[account] += performance.now() - started;
  }
}

/** The memory, with the time of the calls the retriever makes counted. */
function timedMemory(memory: LessonMemory): LessonMemory {
  return patchMemory(memory, {
    headVersion: () => timedCall("memory", () => memory.headVersion()),
    search: (request) => timedCall("memory", () => memory.search(request)),
  });
}

function timedLedger(ledger: OutcomeLedger): OutcomeLedger {
  return {
    record: (outcome) => ledger.record(outcome),
    lessonUtility: (ids) => timedCall("ledger", () => ledger.lessonUtility(ids)),
    versionOutcomes: (version, scope) => ledger.versionOutcomes(version, scope),
    countOutcomes: (query) => ledger.countOutcomes(query),
    looks: (keys) => ledger.looks(keys),
    saveLook: (key, look) => ledger.saveLook(key, look),
  };
}

const userOf = (random: SeededRandom) => `user-${random.int(1, USERS)}`;

/** A conversation a few turns in: system prompt, an earlier lessons message, a tool round trip, the new request. */
function stateFor(random: SeededRandom, turn: number, pinnedState?: ReplayRetrieverState): ReplayRetrieverState {
  if (pinnedState !== undefined) return pinnedState;
  const messages: BaseMessage[] = [
    new SystemMessage({ id: "system", content: "You are the support agent of an online shop. Be brief and exact." }),
    new SystemMessage({ id: "lessonloop-lessons", content: "Lessons learned from past runs of this agent. …" }),
    new HumanMessage({ id: `h-${turn}-a`, content: request(random) }),
    new AIMessage({ id: `a-${turn}-a`, content: "", tool_calls: [{ id: `c-${turn}`, name: "lookup_order", args: { id: 4242 } }] }),
    new ToolMessage({ id: `t-${turn}`, tool_call_id: `c-${turn}`, content: '{"status":"shipped","total":1999}' }),
    new AIMessage({ id: `a-${turn}-b`, content: "Done: the order shipped yesterday." }),
    new HumanMessage({ id: `h-${turn}-b`, content: request(random) }),
  ];
  return { messages, servedLessons: [], servedExamples: [], lessonServedLog: [] };
}

/** Lets the server finish indexing the bulk load (it shares the machine's cores) before timing. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 3_000));

const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length) };
};

async function benchSize(url: string, size: number, serverPid: number | undefined) {
  const random = createSeededRandom(size);
  const embedder = createLexicalEmbedder();
  const memory = await ChromaLessonMemory.open({ url, name: `retriever-bench-${size}-${Date.now()}`, embedder });
  let nextId = 0;
  const makeLesson = (): LessonInput => lesson(random, nextId++);
  const fillStarted = performance.now();
  while (nextId < size) {
    await memory.commit({ add: Array.from({ length: Math.min(COMMIT_SIZE, size - nextId) }, makeLesson), reason: "bulk load", author: "bench" });
  }
  const fillSeconds = round((performance.now() - fillStarted) / 1_000, 1);

  const degradations: string[] = [];
  const ledger = new InMemoryOutcomeLedger();
  for (let i = 0; i < OUTCOMES; i++) {
    await ledger.record({
      episodeId: `episode-${i}`,
      scope: { tenant: tenantOf(random) },
      memoryVersion: await memory.headVersion(),
      servedLessons: Array.from({ length: random.int(1, 5) }, () => `lesson-${random.int(0, size - 1)}`),
      status: random.chance(0.7) ? "success" : "failure",
      recordedAt: TIME,
    });
  }

  const retrieve = createReplayRetriever({
    memory: timedMemory(memory),
    ledger: timedLedger(ledger),
    scope: (_state, config) => {
      const configurable = config.configurable ?? {};
      return { tenant: String(configurable["tenant"]), user: String(configurable["userId"]) };
    },
    onWarning: (warning) => void degradations.push(`${warning.source}: ${warning.message}`),
  });
  // Each new run is another user's thread; the steps of one run share its thread and user.
  const newRun = (step: number): LangGraphRunnableConfig => ({
    configurable: { thread_id: `thread-${step}`, tenant: tenantOf(random), userId: userOf(random) },
    metadata: { langgraph_step: step },
  });
  const sameRun = (run: LangGraphRunnableConfig) => (step: number): LangGraphRunnableConfig => ({ ...run, metadata: { langgraph_step: step } });

  const timeSteps = async (
    label: string,
    nextState: (step: number) => ReplayRetrieverState,
    configFor: (step: number) => LangGraphRunnableConfig,
  ) => {
    await settle();
    const cpuBefore = await cpuMs(serverPid);
    const latencies: number[] = [];
    const own: number[] = [];
    const memoryMs: number[] = [];
    const ledgerMs: number[] = [];
    let served = 0;
    for (let step = 0; step < WARMUP + STEPS; step++) {
      const state = nextState(step);
      const config = configFor(step);
      spent.memory = 0;
      spent.ledger = 0;
      const started = performance.now();
      const update = await retrieve(state, config);
      const elapsed = performance.now() - started;
      if (step >= WARMUP) {
        latencies.push(elapsed);
        own.push(elapsed - spent.memory - spent.ledger);
        memoryMs.push(spent.memory);
        ledgerMs.push(spent.ledger);
        served += update.servedLessons.length;
      }
    }
    // Other processes on the machine inflate the tail; the 1-minute load average says how busy it was.
    const chromaCpuMsPerStep = round(((await cpuMs(serverPid)) - cpuBefore) / (WARMUP + STEPS));
    return { label, ...summary(latencies), own: summary(own), memory: summary(memoryMs), ledger: summary(ledgerMs), lessonsPerStep: round(served / STEPS, 1), chromaCpuMsPerStep, load: round(loadavg()[0] ?? 0, 1) };
  };

  // A new run on every step: the pin is taken from the live version.
  const newInput = await timeSteps("new input", (step) => stateFor(random, step), newRun);
  // A later step of one run (after a tool call): the pin is reused.
  const first = stateFor(random, -1);
  const run = newRun(0);
  const pinned = { ...first, ...(await retrieve(first, run)) } as ReplayRetrieverState;
  const pinnedStep = await timeSteps("pinned step", () => ({ ...pinned, messages: first.messages }), sameRun(run));

  // Chroma's share: the same kind of search, alone.
  const version = await memory.headVersion();
  await settle();
  const searches: number[] = [];
  for (let i = 0; i < WARMUP + STEPS; i++) {
    const query = request(random);
    const scope = { tenant: tenantOf(random), user: userOf(random) };
    const started = performance.now();
    await memory.search({ query, scope, k: 20, version });
    if (i >= WARMUP) searches.push(performance.now() - started);
  }
  // A degraded step (memory past the retriever's timeout) counts at its full wait; report how many there were.
  for (const degradation of new Set(degradations)) console.warn(`degraded: ${degradation}`);
  return { lessons: size, fillSeconds, degradedSteps: degradations.length, newInput, pinnedStep, searchOnly: summary(searches) };
}

/** `args`: the memory sizes to measure (default 1k and 10k). */
export async function run(args: readonly string[]): Promise<void> {
  const sizes = args.map(Number).filter((n) => n > 0);
  const server = await startChroma({ url: process.env["CHROMA_URL"] || undefined });
  try {
    const results = [];
    for (const size of sizes.length > 0 ? sizes : [1_000, 10_000]) {
      const result = await benchSize(server.url, size, server.pid);
      results.push(result);
      console.log(JSON.stringify(result));
    }
    console.log("\n| lessons | step | node p50 | node p99 | in memory calls (p50 / p99) | in ledger (p50) | ours (p50 / p99) | Chroma server CPU per step | load avg |");
    console.log("|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    for (const r of results) {
      for (const run of [r.newInput, r.pinnedStep]) {
        console.log(
          `| ${r.lessons.toLocaleString("en")} | ${run.label} | ${run.p50} ms | ${run.p99} ms | ${run.memory.p50} / ${run.memory.p99} ms | ${run.ledger.p50} ms | ${run.own.p50} / ${run.own.p99} ms | ${run.chromaCpuMsPerStep} ms | ${run.load} |`,
        );
      }
    }
    console.log("\n| lessons | memory.search alone, k=20 (p50 / p99) |");
    console.log("|---:|---:|");
    for (const r of results) console.log(`| ${r.lessons.toLocaleString("en")} | ${r.searchOnly.p50} / ${r.searchOnly.p99} ms |`);
    console.log(`\nDegraded steps (memory past the timeout): ${results.map((r) => `${r.degradedSteps} at ${r.lessons.toLocaleString("en")}`).join(", ")}.`);
    console.log(`\n${STEPS} timed steps after ${WARMUP} warm-up, k=20 candidates, ledger of ${OUTCOMES} outcomes. Node ${process.version}, ${cpus().length} cores.`);
    const out = await writeComponentResults("retriever", { measuredAt: new Date().toISOString(), node: process.version, cores: cpus().length, results });
    console.log(`Wrote ${out}`);
  } finally {
    await server.stop();
  }
}
