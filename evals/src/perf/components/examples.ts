/**
 * What serving examples adds to the first step of a run: the lesson selector
 * on one memory of `openChromaStores` (lessons answered by its live index,
 * examples kept in its `<name>-examples` collection on the real embedded
 * Chroma server) without examples, with examples searched in Chroma on every
 * step, and as the drop-in serves them (`loop.createSelector()` of
 * `createLearningLoop`: each tenant's examples copied into the process). Each
 * step times the three on the same request and scope, in rotating order, so
 * the differences are paired; the rendered context's tokens are counted as
 * the agent's prompt would carry them.
 *
 *   pnpm bench:component examples                # 1,000 lessons; 1,000 and 10,000 examples
 *   pnpm bench:component examples 1000 5000      # lessons, then example counts
 */
import { openChromaStores, startChroma } from "@lessonloop/chroma";
import { createLexicalEmbedder } from "@lessonloop/core";
import type { ExampleInput, ExampleStore } from "@lessonloop/core/internal";
import { ScriptedChatModel, createSeededRandom, percentile, type SeededRandom } from "@lessonloop/core/testing";
import { createLearningLoop } from "lessonloop";
import { createLessonSelector, estimateTokens, renderLessonContext, type LessonSelector } from "@lessonloop/replay-retriever";
import type { ExampleSource } from "@lessonloop/replay-retriever";
import { cpus, loadavg } from "node:os";
import { fillMemory, request, requestScope } from "../lesson-corpus.js";
import { round, settle } from "../machine-probe.js";
import { componentCommand, writeComponentResults } from "./component-results.js";

const STEPS = 300;
const WARMUP = 30;
const WRITE_BATCH = 1_000;
const TIME = "2026-01-01T00:00:00.000Z";

/** The examples searched in the store on every step: valid at the pin, scoped as lessons. */
function sourceOf(store: ExampleStore): ExampleSource {
  return {
    async findExamples({ query, scope, k, version }) {
      const found = await store.search({ query, scope, k, match: "applies", ...(version === undefined ? {} : { version }) });
      return found.map(({ example, score }) => ({ id: example.id, input: example.input, steps: [...example.steps], score }));
    },
  };
}

/** A kept successful run of a corpus request, in one user's scope: six condensed steps, as the recorder keeps them. */
function exampleOf(random: SeededRandom, index: number): ExampleInput {
  const input = request(random);
  return {
    id: `example-${index}`,
    scope: requestScope(random),
    input,
    steps: [
      `call lookup_order({"id":${random.int(1_000, 9_999)}})`,
      `lookup_order → <tool_output untrusted="true">{"status":"shipped","total":${random.int(100, 9_999)}}</tool_output>`,
      `call lookup_customer({"id":${random.int(1, 500)}})`,
      `lookup_customer → <tool_output untrusted="true">{"tier":"gold","country":"DE"}</tool_output>`,
      `call create_refund({"order":${random.int(1_000, 9_999)},"amount_cents":${random.int(100, 9_999)}})`,
      "assistant: Refunded the order; the customer was told when the money arrives.",
    ],
    episodes: [`episode-${index}`],
    strength: 1,
    recordedAt: 0,
    createdAt: TIME,
    reinforcedAt: TIME,
  };
}

const summary = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), mean: round(sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length)) };
};

async function benchSize(url: string, serverPid: number | undefined, lessons: number, examples: number) {
  const random = createSeededRandom(lessons * 31 + examples);
  const embedder = createLexicalEmbedder();
  const stores = await openChromaStores({ url, name: `examples-bench-${lessons}-${examples}-${Date.now()}`, embedder });
  await fillMemory(stores.memory, random, lessons);
  for (let start = 0; start < examples; start += WRITE_BATCH) {
    await stores.examples.add(Array.from({ length: Math.min(WRITE_BATCH, examples - start) }, (_, offset) => exampleOf(random, start + offset)));
  }
  const degradations: string[] = [];
  // The drop-in's selector: a loop on these stores (its models are never asked: nothing is learned here).
  const idle = () => new ScriptedChatModel({ responses: "unused" });
  const loop = await createLearningLoop({
    learnerModel: idle(),
    validatorModels: [idle()],
    memory: stores.memory,
    edgeCaseStore: stores.edgeCases,
    exampleStore: stores.examples,
    embedder,
    onEvent: (event) => void (event.type === "warning" && degradations.push(`loop: ${JSON.stringify(event.warning)}`)),
    logVerdicts: "off",
  });
  const MODES = ["off", "chroma", "inProcess"] as const;
  const selectors: Record<(typeof MODES)[number], LessonSelector> = {
    off: createLessonSelector({ memory: stores.memory, ledger: loop.ledger }),
    chroma: createLessonSelector({ memory: stores.memory, ledger: loop.ledger, examples: sourceOf(stores.examples) }),
    inProcess: loop.createSelector(),
  };
  await settle(serverPid);

  const latency = { off: [] as number[], chroma: [] as number[], inProcess: [] as number[] };
  const added = { chroma: [] as number[], inProcess: [] as number[] };
  const tokens = { off: [] as number[], chroma: [] as number[], inProcess: [] as number[] };
  let served = 0;
  for (let step = 0; step < WARMUP + STEPS; step++) {
    const text = request(random);
    const scope = requestScope(random);
    const elapsed = { off: 0, chroma: 0, inProcess: 0 };
    // Rotate which goes first, so a warm cache favours none.
    for (let turn = 0; turn < MODES.length; turn++) {
      const mode = MODES[(step + turn) % MODES.length] as (typeof MODES)[number];
      const started = performance.now();
      const selection = await selectors[mode]({ text, scope });
      elapsed[mode] = performance.now() - started;
      for (const { source, error } of selection.degraded) degradations.push(`${mode} ${source}: ${String(error)}`);
      if (step >= WARMUP) {
        tokens[mode].push(estimateTokens(renderLessonContext(selection)));
        if (mode === "inProcess") served += selection.examples.length;
      }
    }
    if (step >= WARMUP) {
      for (const mode of MODES) latency[mode].push(elapsed[mode]);
      added.chroma.push(elapsed.chroma - elapsed.off);
      added.inProcess.push(elapsed.inProcess - elapsed.off);
    }
  }
  await loop.close({ timeoutMs: 1_000 });
  await stores.close();
  for (const degradation of new Set(degradations)) console.warn(`degraded: ${degradation}`);
  return {
    lessons,
    examples,
    firstStep: { off: summary(latency.off), chroma: summary(latency.chroma), inProcess: summary(latency.inProcess) },
    addedPaired: { chroma: summary(added.chroma), inProcess: summary(added.inProcess) },
    contextTokens: { off: summary(tokens.off), withExamples: summary(tokens.inProcess) },
    examplesPerStep: round(served / STEPS, 2),
    degradedSteps: degradations.length,
    load: round(loadavg()[0] ?? 0, 1),
  };
}

/** `args`: the lesson count, then the example counts (default 1,000; 1,000 and 10,000). */
export async function run(args: readonly string[]): Promise<void> {
  const [lessonArg, ...exampleArgs] = args.map(Number).filter((n) => Number.isInteger(n) && n > 0);
  const lessons = lessonArg ?? 1_000;
  const exampleCounts = exampleArgs.length > 0 ? exampleArgs : [1_000, 10_000];
  const server = await startChroma({ url: process.env["CHROMA_URL"] || undefined });
  try {
    const results = [];
    for (const examples of exampleCounts) {
      const result = await benchSize(server.url, server.pid, lessons, examples);
      results.push(result);
      console.log(JSON.stringify(result));
    }
    console.log("\n| lessons | examples | first step: no examples | examples from Chroma each step | examples in process (the drop-in) | added, paired: Chroma / in process | context tokens, no examples → with | examples per step | load avg |");
    console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    const p = (s: { p50: number; p99: number }) => `${s.p50} / ${s.p99} ms`;
    for (const r of results) {
      console.log(
        `| ${r.lessons.toLocaleString("en")} | ${r.examples.toLocaleString("en")} | ${p(r.firstStep.off)} | ${p(r.firstStep.chroma)} | ${p(r.firstStep.inProcess)} | ${p(r.addedPaired.chroma)} · ${p(r.addedPaired.inProcess)} | ${r.contextTokens.off.p50} → ${r.contextTokens.withExamples.p50} | ${r.examplesPerStep} | ${r.load} |`,
      );
    }
    console.log("\nLatencies are p50 / p99 of the selector's call for a new run (unpinned).");
    console.log(`\n${STEPS} timed steps after ${WARMUP} warm-up, each a new run (unpinned) of a random user of 5 tenants × 20 users; examples spread over the same users. Node ${process.version}, ${cpus().length} cores.`);
    const out = await writeComponentResults("examples", { command: componentCommand("examples", args), measuredAt: new Date().toISOString(), node: process.version, cores: cpus().length, results });
    console.log(`Wrote ${out}`);
  } finally {
    await server.stop();
  }
}
