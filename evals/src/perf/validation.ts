import { ChromaEdgeCaseStore } from "@lessonloop/chroma";
import type { EdgeCase, EdgeCaseInput, LessonInput } from "@lessonloop/core";
import type { LexicalEmbedder } from "@lessonloop/core/internal";
import { createSeededRandom } from "@lessonloop/core/testing";
import { createValidatorEnsemble, type ReplayRunner } from "@lessonloop/validator-ensemble";
import { lesson, request } from "./lesson-corpus.js";
import { repeated, round, timed } from "./machine-probe.js";
import type { ValidationRun } from "./perf-results.js";

export interface ValidationParams {
  url: string;
  embedder: LexicalEmbedder;
  /** Ensemble sizes timed at the largest store. */
  validatorCounts: readonly number[];
  /** Stored edge cases, ascending; calls per lesson are counted at each. */
  storeSizes: readonly number[];
  /** Simulated latency of one model call (one replay), ms. */
  latencyMs: number;
  /** Replays running at once (the ensemble's `concurrency`). */
  concurrency: number;
  repeats: number;
  log: (line: string) => void;
}

const TIME = "2026-01-01T00:00:00.000Z";
const TENANT = "tenant-1";
const MARKER = "cents";

/** Sleeps `ms`, rejecting as soon as the signal aborts: a model call that really stops. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * A replay runner with a simulated model: every replay waits `latencyMs` and
 * counts one call. The agent "says" the lesson's guidance when given it, so a
 * must-pass case wanting that word passes only with the lesson.
 */
function simulatedRunner(latencyMs: number): ReplayRunner & { calls: number } {
  const runner = {
    calls: 0,
    async replay({ edgeCase, lesson: given, signal }: Parameters<ReplayRunner["replay"]>[0]) {
      runner.calls++;
      await sleep(latencyMs, signal);
      const answer = given === undefined ? "done" : `done: ${given.guidance}`;
      const check = edgeCase.check;
      if (check.type !== "answer") return { passed: null };
      const text = answer.toLowerCase();
      return { passed: check.mustContain.every((word) => text.includes(word.toLowerCase())), output: answer };
    },
  };
  return runner;
}

function storedCase(random: ReturnType<typeof createSeededRandom>, index: number): EdgeCaseInput {
  return {
    id: `case-${index}`,
    input: request(random),
    check: { type: "answer", mustContain: ["done"], mustNotContain: [] },
    kind: "regression",
    // Most cases are the lesson's tenant's; the rest belong to others and must never be replayed for it.
    scope: { tenant: random.chance(0.8) ? TENANT : `tenant-${random.int(2, 5)}` },
    tags: [],
    createdAt: TIME,
  };
}

/**
 * Section 2: the real validator ensemble with N validators over a real
 * ChromaEdgeCaseStore, each replay a simulated model call of `latencyMs`.
 * Wall time is compared with the ideal (calls × latency / concurrency), and
 * calls per lesson are counted as the store grows.
 */
export async function measureValidation({ url, embedder, validatorCounts, storeSizes, latencyMs, concurrency, repeats, log }: ValidationParams): Promise<ValidationRun[]> {
  const random = createSeededRandom(42);
  const stores = new Map<number, ChromaEdgeCaseStore>();
  for (const size of storeSizes) {
    const store = await ChromaEdgeCaseStore.open({ url, embedder, collection: `perf-cases-${size}-${Date.now()}` });
    const [, ms] = await timed(() => store.add(Array.from({ length: size }, (_, index) => storedCase(random, index))));
    stores.set(size, store);
    log(`stored ${size.toLocaleString("en")} edge cases in ${round(ms / 1_000, 1)} s`);
  }
  const base = lesson(random, 0);
  const candidate: LessonInput = {
    ...base,
    id: "candidate",
    scope: { tenant: TENANT },
    guidance: `${base.guidance}; give amounts in ${MARKER}`,
    provenance: { agent: "learner", model: "none", proposedAt: TIME },
  };
  const motivating: EdgeCase = {
    id: "motivating",
    input: request(random),
    check: { type: "answer", mustContain: [MARKER], mustNotContain: [] },
    kind: "must_pass",
    scope: { tenant: TENANT },
    tags: [],
    createdAt: TIME,
  };

  const runOnce = async (validators: number, storeSize: number) => {
    const store = stores.get(storeSize);
    if (store === undefined) throw new Error(`no store of ${storeSize} cases`);
    const runner = simulatedRunner(latencyMs);
    const ensemble = createValidatorEnsemble({
      validators: Array.from({ length: validators }, (_, index) => ({ id: `validator-${index + 1}` })),
      runner,
      edgeCaseStore: store,
      concurrency,
    });
    const [result, ms] = await timed(() => ensemble.invoke({ lesson: candidate, proposer: "learner", motivatingCases: [motivating] }));
    return { ms, calls: runner.calls, decision: result.verdict?.decision ?? "none" };
  };

  const runs: ValidationRun[] = [];
  const largest = storeSizes.at(-1) ?? 0;
  const record = async (validators: number, storeSize: number, times: number) => {
    const samples = [];
    for (let repeat = 0; repeat < times; repeat++) samples.push(await runOnce(validators, storeSize));
    const calls = samples[0]?.calls ?? 0;
    if (samples.some((sample) => sample.calls !== calls)) throw new Error("calls per lesson changed between repeats of the same run");
    const idealMs = (calls * latencyMs) / concurrency;
    runs.push({
      validators,
      storedCases: storeSize,
      callsPerLesson: calls,
      wallMs: repeated(samples.map((sample) => sample.ms)),
      idealMs: round(idealMs),
      ratio: repeated(samples.map((sample) => sample.ms / idealMs)),
      decision: samples[0]?.decision ?? "none",
    });
    log(`validation N=${validators}, ${storeSize.toLocaleString("en")} cases: ${calls} calls, wall ${runs.at(-1)?.wallMs.median} ms vs ideal ${round(idealMs)} ms`);
  };
  // One untimed run first: module loading and JIT would otherwise land on the first ensemble size.
  await runOnce(validatorCounts[0] ?? 3, largest);
  for (const validators of validatorCounts) await record(validators, largest, repeats);
  const middle = validatorCounts[Math.floor(validatorCounts.length / 2)] ?? 3;
  for (const size of storeSizes.slice(0, -1)) await record(middle, size, repeats);
  return runs;
}
