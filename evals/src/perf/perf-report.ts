import type { PerfResults, Repeated, Target, ValidationRun } from "./perf-results.js";

const spread = (value: Repeated) => `${value.median} (${value.min}–${value.max})`;
const size = (lessons: number) => lessons.toLocaleString("en");

/** Compares the figures with the targets. */
export function evaluateTargets(results: Omit<PerfResults, "targets">, budget: number): Target[] {
  const targets: Target[] = [];
  const largest = results.hotPath.at(-1);
  if (largest !== undefined) {
    const at = `at ${size(largest.lessons)}`;
    targets.push(
      { section: "hot path", name: `first-step p50 ${at}`, target: "≤ 5 ms", measured: `${largest.firstStep.p50.median} ms`, met: largest.firstStep.p50.median <= 5 },
      { section: "hot path", name: `first-step p99 ${at}`, target: "≤ 20 ms", measured: `${largest.firstStep.p99.median} ms`, met: largest.firstStep.p99.median <= 20 },
      { section: "hot path", name: `pinned-step p50 ${at}`, target: "≤ 5 ms", measured: `${largest.pinnedStep.p50.median} ms`, met: largest.pinnedStep.p50.median <= 5 },
    );
  }
  // First step against InMemoryStore at each size the issue names, and against the exact in-process floor up to 10k.
  const speedupWanted = new Map([
    [1_000, 1],
    [10_000, 3],
    [100_000, 7],
  ]);
  for (const entry of results.hotPath) {
    const wanted = speedupWanted.get(entry.lessons);
    if (wanted !== undefined) {
      targets.push({ section: "hot path", name: `first step vs InMemoryStore at ${size(entry.lessons)}`, target: `≥ ${wanted}×`, measured: `${entry.speedupVsInMemoryStore}×`, met: entry.speedupVsInMemoryStore >= wanted });
    }
    if (entry.lessons <= 10_000) {
      targets.push({ section: "hot path", name: `first step / exact in-process floor at ${size(entry.lessons)}`, target: "≤ 4×", measured: `${entry.firstStepVsFloor}×`, met: entry.firstStepVsFloor <= 4 });
    }
  }
  const maxTokens = Math.max(0, ...results.hotPath.map((entry) => entry.ourTokens.max));
  targets.push({ section: "hot path", name: "lesson tokens per step, any size", target: `≤ budget (${budget})`, measured: `max ${maxTokens}`, met: maxTokens <= budget });
  for (const run of results.validation.runs.filter((entry) => entry.storedCases === Math.max(...results.validation.runs.map((r) => r.storedCases)))) {
    targets.push({ section: "validation", name: `wall / ideal, N = ${run.validators}`, target: "≤ 1.2", measured: `${run.ratio.median}`, met: run.ratio.median <= 1.2 });
  }
  // Calls per lesson as the store grows, for the ensemble size run at every store size.
  const byValidators = new Map<number, ValidationRun[]>();
  for (const run of results.validation.runs) byValidators.set(run.validators, [...(byValidators.get(run.validators) ?? []), run]);
  for (const [validators, runs] of byValidators) {
    if (runs.length < 2) continue;
    runs.sort((a, b) => a.storedCases - b.storedCases);
    const calls = new Set(runs.map((run) => run.callsPerLesson));
    const stores = runs.map((run) => size(run.storedCases)).join(" / ");
    targets.push({ section: "validation", name: `calls per lesson with ${stores} stored cases (N = ${validators})`, target: "flat", measured: runs.map((run) => run.callsPerLesson).join(" / "), met: calls.size === 1 });
  }
  targets.push({ section: "snapshots", name: "rollback p50, largest / smallest", target: "≤ 1.3×", measured: `${results.snapshots.rollbackRatio}×`, met: results.snapshots.rollbackRatio <= 1.3 });
  if (results.growth.status === "measured") {
    targets.push({ section: "growth", name: "live lessons per failure", target: "far below 1", measured: `${results.growth.lessonsPerFailure}`, met: results.growth.lessonsPerFailure < 0.5 });
  }
  return targets;
}

const liveIndexCell = (entry: PerfResults["hotPath"][number]) =>
  entry.liveIndex.lessons === 0 ? "off" : `${size(entry.liveIndex.lessons)} (${entry.liveIndex.loadSeconds} s, ${entry.liveIndex.vectorMiB} MiB vectors, heap +${entry.liveIndex.heapMiB} MiB)`;

/** The Markdown tables of the run, for the terminal and the README. */
export function renderTables(results: PerfResults): string {
  const lines: string[] = [];
  lines.push("Hot path: the replay-retriever per agent step (median of repeats, min–max across repeats in brackets)", "");
  lines.push(
    "| lessons | first step p50 | first step p99 | later step p50 | memory.search p50 | exact floor p50 | first step / floor | InMemoryStore p50 | ours vs InMemoryStore | live index (load, memory) | lesson tokens (max) | every lesson in the prompt | process / Chroma peak RSS |",
  );
  lines.push("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const entry of results.hotPath) {
    lines.push(
      `| ${size(entry.lessons)} | ${spread(entry.firstStep.p50)} ms | ${spread(entry.firstStep.p99)} ms | ${entry.pinnedStep.p50.median} ms | ${entry.searchOnly.p50.median} ms | ${entry.exactFloor.p50.median} ms | ${entry.firstStepVsFloor}× | ${spread(entry.inMemoryStore.p50)} ms | ${entry.speedupVsInMemoryStore}× | ${liveIndexCell(entry)} | ${entry.ourTokens.p50} (${entry.ourTokens.max}) | ${size(entry.allLessonsTokens)} | ${entry.processMemory.peakMiB} / ${entry.chromaMemory.peakMiB} MiB |`,
    );
  }
  lines.push("", `Validation: ${results.validation.latencyMs} ms per simulated model call, concurrency ${results.validation.concurrency}`, "");
  lines.push("| validators | stored cases | calls per lesson | wall | ideal | wall / ideal | verdict |");
  lines.push("|---:|---:|---:|---:|---:|---:|---|");
  for (const run of results.validation.runs) {
    lines.push(`| ${run.validators} | ${size(run.storedCases)} | ${run.callsPerLesson} | ${spread(run.wallMs)} ms | ${run.idealMs} ms | ${spread(run.ratio)} | ${run.decision} |`);
  }
  lines.push("", "Snapshots: a one-lesson commit and its rollback", "");
  lines.push("| lessons | commit p50 | rollback p50 | rollback p99 |");
  lines.push("|---:|---:|---:|---:|");
  for (const entry of results.snapshots.sizes) {
    lines.push(`| ${size(entry.lessons)} | ${spread(entry.commitOne.p50)} ms | ${spread(entry.rollback.p50)} ms | ${spread(entry.rollback.p99)} ms |`);
  }
  lines.push("", results.growth.status === "measured" ? "Growth on the API-drift stream" : `Growth: not measured — ${results.growth.reason}.`, "");
  if (results.growth.status === "measured") {
    lines.push("| episodes | failures | live lessons |", "|---:|---:|---:|");
    for (const point of results.growth.points) lines.push(`| ${point.episodes} | ${point.failures} | ${point.liveLessons} |`);
    lines.push("");
  }
  lines.push("| section | target | wanted | measured | met |", "|---|---|---|---|---|");
  for (const target of results.targets) lines.push(`| ${target.section} | ${target.name} | ${target.target} | ${target.measured} | ${target.met ? "yes" : "**no**"} |`);
  lines.push("", `Load average before ${results.loadBefore.join(" / ")}, after ${results.loadAfter.join(" / ")} (1 / 5 / 15 min); ${results.machine.cpus} × ${results.machine.cpuModel}, Node ${results.machine.node}; whole run ${results.durationSeconds} s.`);
  return lines.join("\n");
}
