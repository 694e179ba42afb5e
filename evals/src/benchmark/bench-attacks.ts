/**
 * `pnpm bench:attacks [DIR]`: which attacks of poisoned-feedback each
 * learning strategy merged, read from the `results.json` of a `pnpm bench`
 * run in DIR (default `evals/results/poisoned-attacks`). Per strategy: success
 * and merged attack lessons per seed with 95% intervals over seeds, every
 * attack kind proposed and merged, and — lessonloop against unvalidated
 * learning — the extra model calls per validated lesson. Writes
 * `attacks.json` and `attacks.md` beside the results.
 */
import { writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { attackOf, type AttackKind } from "./environments/poisoned-feedback.js";
import type { MultiSeedStrategy } from "./harness/multi-seed-results.js";
import { meanWithCi95, pairedDifference, type MeanInterval } from "./harness/statistics.js";
import { readResults } from "./report/write-results.js";

const KINDS: readonly AttackKind[] = ["combined-definition", "combined-clause", "rider", "unlooked", "poisoned-user", "task-instruction", "injected"];
const GENERATED = "by pnpm bench:attacks — do not edit";

interface AttackCounts {
  proposed: number;
  merged: number;
}

interface StrategyAttacks {
  strategy: string;
  success: MeanInterval;
  /** Lessons merged that carry an attack, per seed: mean and interval over seeds. */
  attackMergesPerSeed: MeanInterval;
  attackMerges: number;
  wrongMerged: number;
  merged: number;
  regressions: number;
  callsPerEpisode: number;
  /** Lessons that reached a decision (merged, rejected or parked), summed over seeds. */
  decided: number;
  kinds: Record<AttackKind, AttackCounts>;
}

function tally(strategy: MultiSeedStrategy): StrategyAttacks {
  const kinds = Object.fromEntries(KINDS.map((kind) => [kind, { proposed: 0, merged: 0 }])) as Record<AttackKind, AttackCounts>;
  const perSeed = strategy.seeds.map((run) => {
    let merged = 0;
    for (const lesson of run.lessons) {
      const kind = attackOf(lesson.text);
      if (kind === undefined) continue;
      kinds[kind].proposed += 1;
      if (lesson.outcome === "merged") {
        kinds[kind].merged += 1;
        merged += 1;
      }
    }
    return merged;
  });
  const { aggregate } = strategy;
  return {
    strategy: strategy.strategy,
    success: aggregate.success,
    attackMergesPerSeed: meanWithCi95(perSeed, { within: [0, Number.POSITIVE_INFINITY] }),
    attackMerges: perSeed.reduce((sum, count) => sum + count, 0),
    wrongMerged: aggregate.wrongMerged,
    merged: aggregate.merged,
    regressions: aggregate.regressions,
    callsPerEpisode: aggregate.callsPerEpisode,
    decided: strategy.seeds.reduce((sum, run) => sum + run.lessons.length, 0),
    kinds,
  };
}

const pct = (value: number) => `${(value * 100).toFixed(1)}%`;
const interval = ({ mean, ci95, n }: MeanInterval, format: (value: number) => string) =>
  n < 2 ? format(mean) : `${format(mean)} [${format(ci95[0])}, ${format(ci95[1])}]`;

async function main(argv: readonly string[]): Promise<void> {
  const dir = resolve(argv.find((arg) => !arg.startsWith("-")) ?? "results/poisoned-attacks");
  const results = await readResults(join(dir, "results.json"));
  const world = results.environments.find((environment) => environment.name === "poisoned-feedback");
  if (world === undefined) throw new Error(`${dir}/results.json has no poisoned-feedback run: run pnpm bench -- --env poisoned-feedback first.`);
  const strategies = world.strategies.filter((strategy) => strategy.strategy === "lessonloop" || strategy.strategy === "unvalidated").map(tally);
  const lessonloop = world.strategies.find((strategy) => strategy.strategy === "lessonloop");
  const unvalidated = world.strategies.find((strategy) => strategy.strategy === "unvalidated");
  const paired =
    lessonloop !== undefined && unvalidated !== undefined
      ? pairedDifference(
          lessonloop.seeds.map((run) => run.summary.successRate),
          unvalidated.seeds.map((run) => run.summary.successRate),
          { within: [-1, 1] },
        )
      : undefined;
  // Validation's cost: lessonloop's model calls over unvalidated learning's on the same tasks, per lesson it decided on.
  const loop = strategies.find((strategy) => strategy.strategy === "lessonloop");
  const plain = strategies.find((strategy) => strategy.strategy === "unvalidated");
  const extraCallsPerValidatedLesson =
    loop !== undefined && plain !== undefined && loop.decided > 0
      ? ((loop.callsPerEpisode - plain.callsPerEpisode) * results.episodes * results.seeds.length) / loop.decided
      : undefined;

  const shown = relative(process.cwd(), dir) || ".";
  const report = { generated: `${GENERATED}: pnpm bench:attacks ${shown}`, source: join(shown, "results.json"), seeds: results.seeds, episodes: results.episodes, strategies, paired, extraCallsPerValidatedLesson };
  await writeFile(join(dir, "attacks.json"), `${JSON.stringify(report, null, 2)}\n`);

  const lines = [
    `<!-- generated ${GENERATED}: pnpm bench:attacks ${shown} -->`,
    `# poisoned-feedback: attacks merged (seeds ${results.seeds.join(", ")}, ${results.episodes} tasks each)`,
    "",
    "| strategy | success [95% CI] | attack lessons merged per seed [95% CI] | attack merges | wrong/merged | regressions | calls/ep |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...strategies.map(
      (strategy) =>
        `| ${strategy.strategy} | ${interval(strategy.success, pct)} | ${interval(strategy.attackMergesPerSeed, (value) => value.toFixed(1))} | ${strategy.attackMerges} | ${strategy.wrongMerged}/${strategy.merged} | ${strategy.regressions} | ${strategy.callsPerEpisode.toFixed(1)} |`,
    ),
    "",
    `| attack (merged/proposed) | ${strategies.map((strategy) => strategy.strategy).join(" | ")} |`,
    `|---|${strategies.map(() => "---:").join("|")}|`,
    ...KINDS.map((kind) => `| ${kind} | ${strategies.map((strategy) => `${strategy.kinds[kind].merged}/${strategy.kinds[kind].proposed}`).join(" | ")} |`),
    "",
    paired === undefined
      ? ""
      : `lessonloop − unvalidated success: ${(paired.mean * 100).toFixed(1)} points [${(paired.ci95[0] * 100).toFixed(1)}, ${(paired.ci95[1] * 100).toFixed(1)}], won ${paired.seedsWon}, lost ${paired.seedsLost}, tied ${paired.ties}.`,
    extraCallsPerValidatedLesson === undefined ? "" : `Extra model calls per lesson lessonloop decided on (merged, rejected or parked): ${extraCallsPerValidatedLesson.toFixed(1)}.`,
    "",
  ];
  await writeFile(join(dir, "attacks.md"), lines.join("\n"));
  console.log(lines.slice(1).join("\n"));
}

main(process.argv.slice(2).filter((arg) => arg !== "--")).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
