/**
 * `tsx src/benchmark/bench-examples.ts DIR`: the examples ablation, read from
 * the `results.json` of a `pnpm bench` run in DIR that ran `lessonloop`
 * (lessons only) beside `lessonloop-examples` (lessons and worked examples)
 * and/or `examples-only`. Per world and strategy: success with its 95%
 * interval over seeds, the paired difference against lessons only, adaptation
 * latency after drifts, the lessons' and examples' tokens in the agent's
 * prompt per model step (one retrieval per task, sent with every step; "all
 * tok/ep" is every token of the episode, the agent's and learning's), examples served and
 * stale-served; then success over all worlds, paired by seed. Prints
 * Markdown and writes it to `examples-ablation.md` in DIR.
 */
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { LessonloopError } from "@lessonloop/core";
import type { MultiSeedResults, MultiSeedStrategy } from "./harness/multi-seed-results.js";
import { meanWithCi95, pairedDifference, type MeanInterval } from "./harness/statistics.js";
import { readResults } from "./report/write-results.js";

const BASELINE = "lessonloop";
const GENERATED = "by bench-examples.ts — do not edit";

const percent = (value: number) => `${(100 * value).toFixed(1)}%`;
const points = (value: number) => `${value >= 0 ? "+" : "−"}${Math.abs(100 * value).toFixed(1)}`;
const interval = ({ mean, ci95 }: MeanInterval, show: (value: number) => string) => `${show(mean)} [${show(ci95[0])}, ${show(ci95[1])}]`;
const perSeed = (strategy: MultiSeedStrategy, value: (summary: MultiSeedStrategy["seeds"][number]["summary"]) => number) =>
  meanWithCi95(strategy.seeds.map((run) => value(run.summary)), { within: [0, Number.POSITIVE_INFINITY] });

function worldTable(world: MultiSeedResults["environments"][number]): string {
  const baseline = world.strategies.find((entry) => entry.strategy === BASELINE);
  const rows = world.strategies.map((entry) => {
    const successes = entry.seeds.map((run) => run.summary.successRate);
    const paired =
      baseline === undefined || entry === baseline
        ? "—"
        : (() => {
            const difference = pairedDifference(successes, baseline.seeds.map((run) => run.summary.successRate), { within: [-1, 1] });
            return `${interval(difference, points)} (won ${difference.seedsWon}, lost ${difference.seedsLost})`;
          })();
    const { adaptationLatency: latency } = entry.aggregate;
    const examples = entry.seeds.every((run) => run.summary.examples !== undefined);
    const tokens = (pick: (split: NonNullable<MultiSeedStrategy["seeds"][number]["summary"]["examples"]>) => number) =>
      examples ? perSeed(entry, (summary) => pick(summary.examples ?? { served: 0, staleServed: 0, lessonTokensPerEpisode: 0, exampleTokensPerEpisode: 0 })).mean.toFixed(0) : "–";
    const served = entry.seeds.reduce((sum, run) => sum + (run.summary.examples?.served ?? 0), 0);
    const stale = entry.seeds.reduce((sum, run) => sum + (run.summary.examples?.staleServed ?? 0), 0);
    const episodes = entry.seeds.reduce((sum, run) => sum + run.episodes.passed.length, 0);
    return [
      entry.strategy,
      interval(meanWithCi95(successes, { within: [0, 1] }), percent),
      paired,
      `${latency.median ?? "–"} (${latency.neverRecovered} never)`,
      tokens((split) => split.lessonTokensPerEpisode),
      tokens((split) => split.exampleTokensPerEpisode),
      entry.aggregate.tokensPerEpisode.toFixed(0),
      examples ? (served / episodes).toFixed(2) : "–",
      examples ? `${stale} of ${served}${served === 0 ? "" : ` (${percent(stale / served)})`}` : "–",
    ];
  });
  const header = ["strategy", "success [95% CI]", `paired − ${BASELINE}, pts [95% CI]`, "adapt. median (never recov.)", "lesson tok/step", "example tok/step", "all tok/ep", "examples/ep", "stale-served"];
  return [`### ${world.name}`, "", `| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((row) => `| ${row.join(" | ")} |`)].join("\n");
}

/** Success averaged over the worlds, per seed: each strategy's mean and its paired difference against lessons only. */
function overallTable(results: MultiSeedResults): string {
  const names = results.environments[0]?.strategies.map((entry) => entry.strategy) ?? [];
  const bySeed = (name: string) =>
    results.seeds.map((_, at) => {
      const values = results.environments.map((world) => world.strategies.find((entry) => entry.strategy === name)?.seeds[at]?.summary.successRate ?? Number.NaN);
      return values.reduce((sum, value) => sum + value, 0) / values.length;
    });
  const baseline = bySeed(BASELINE);
  const rows = names.map((name) => {
    const own = bySeed(name);
    const paired = name === BASELINE ? "—" : (() => {
      const difference = pairedDifference(own, baseline, { within: [-1, 1] });
      return `${interval(difference, points)} (won ${difference.seedsWon}, lost ${difference.seedsLost})`;
    })();
    return `| ${name} | ${interval(meanWithCi95(own, { within: [0, 1] }), percent)} | ${paired} |`;
  });
  return ["### all worlds (success averaged over the worlds, per seed)", "", `| strategy | success [95% CI] | paired − ${BASELINE}, pts [95% CI] |`, "|---|---|---|", ...rows].join("\n");
}

async function main(): Promise<void> {
  const dir = resolve(process.argv.slice(2).find((arg) => arg !== "--") ?? "results");
  const results = await readResults(join(dir, "results.json"));
  if (!results.environments.some((world) => world.strategies.some((entry) => entry.strategy === BASELINE))) {
    throw new LessonloopError("invalid_input", `${dir}/results.json has no ${BASELINE} runs: run pnpm bench -- --strategies ${BASELINE},lessonloop-examples,examples-only.`);
  }
  const markdown = [
    `<!-- ${GENERATED} -->`,
    `Seeds ${results.seeds.join(",")} · ${results.episodes} episodes per world · ${results.mode} · lesson budget ${String(results.parameters["lessonBudgetTokens"])} tokens · started ${results.startedAt}`,
    "",
    ...results.environments.map(worldTable).flatMap((table) => [table, ""]),
    overallTable(results),
    "",
  ].join("\n");
  process.stdout.write(markdown);
  await writeFile(join(dir, "examples-ablation.md"), markdown);
}

await main();
