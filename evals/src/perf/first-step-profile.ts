/**
 * Where the replay-retriever's first step spends its time once the live index
 * is loaded: the same corpus, scopes and requests as `pnpm bench:perf`, on an
 * in-memory memory (a loaded live index asks its store nothing), or with
 * `--chroma` on Chroma as the bench opens it. Prints the first step's p50 at
 * each size; run under `node --cpu-prof` to see the split.
 *
 *   pnpm --filter @lessonloop/evals exec tsx --conditions=@lessonloop/source src/perf/first-step-profile.ts --sizes 1000,100000 [--chroma]
 */
import { HumanMessage, SystemMessage } from "@langchain/core/messages";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { ChromaLessonMemory, startChroma } from "@lessonloop/chroma";
import { InMemoryLessonMemory, createLexicalEmbedder, type Scope } from "@lessonloop/core";
import { createSeededRandom } from "@lessonloop/core/testing";
import { createReplayRetriever, type ReplayRetrieverState } from "@lessonloop/replay-retriever";
import { parseArgs } from "node:util";
import { fillMemory, request, requestScope } from "./lesson-corpus.js";
import { round, timed } from "./machine-probe.js";

const { values } = parseArgs({ options: { sizes: { type: "string", default: "1000,100000" }, steps: { type: "string", default: "2000" }, chroma: { type: "boolean", default: false } }, strict: true });
const sizes = (values.sizes ?? "").split(",").map(Number);
const steps = Number(values.steps);
const embedder = createLexicalEmbedder();
const chroma = values.chroma === true ? await startChroma() : undefined;

for (const size of sizes) {
  const memory =
    chroma === undefined
      ? new InMemoryLessonMemory({ embedder, liveIndexLessons: size })
      : await ChromaLessonMemory.open({ url: chroma.url, name: `profile-${size}-${Date.now()}`, embedder, liveIndexLessons: size, refresh: "background" });
  const [, fillMs] = await timed(() => fillMemory(memory, createSeededRandom(size), size));
  const [, loadMs] = await timed(() => memory.liveIndexSettled());
  const random = createSeededRandom(size + 1);
  const retrieve = createReplayRetriever({ memory, candidates: 20, budget: 600, scope: (_state, config) => config.configurable?.["scope"] as Scope });
  const samples: number[] = [];
  for (let step = 0; step < steps; step++) {
    const state: ReplayRetrieverState = {
      messages: [new SystemMessage({ id: "system", content: "You are the support agent of an online shop." }), new HumanMessage({ id: `human-${step}`, content: request(random) })],
      servedLessons: [],
      servedExamples: [],
      lessonServedLog: [],
    };
    const config: LangGraphRunnableConfig = { configurable: { thread_id: `thread-${step}`, scope: requestScope(random) }, metadata: { langgraph_step: 1 } };
    samples.push((await timed(() => retrieve(state, config)))[1]);
  }
  const sorted = samples.slice(steps / 10).sort((a, b) => a - b);
  if (memory instanceof ChromaLessonMemory) await memory.close();
  console.log(`${size} lessons: filled in ${round(fillMs / 1_000, 1)} s, index loaded in ${round(loadMs / 1_000, 2)} s; first step p50 ${round(sorted[Math.floor(sorted.length / 2)] ?? 0, 3)} ms, p90 ${round(sorted[Math.floor(sorted.length * 0.9)] ?? 0, 3)} ms`);
}
await chroma?.stop();
