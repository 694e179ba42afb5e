/**
 * Operating characteristics of the regression monitor's rule, by seeded
 * simulation: how often a merge is rolled back (and after how many runs) when
 * the monitor looks after every outcome, for merges that do not change the
 * success rate (false rollbacks) and merges that lower it. Uses the same
 * functions as the monitor (`evaluateRegression`, `regressionLook`).
 *
 *   pnpm --filter @lessonloop/regression-monitor bench:rule
 */
import { createSeededRandom } from "@lessonloop/core/testing";
// The rule's internals, not the package's public API.
import { fisherExactLowerTail } from "../src/fisher-exact-test.js";
import { evaluateRegression, regressionLook } from "../src/regression-monitor.js";

const TRIALS = 2_000;
const MAX_AFTER = 640;
const BEFORE_RUNS = [30, 100];
const CASES: [before: number, after: number][] = [
  [0.8, 0.8],
  [0.5, 0.5],
  [0.8, 0.75],
  [0.9, 0.8],
  [0.8, 0.6],
  [0.8, 0.4],
];

function simulate(rateBefore: number, rateAfter: number, beforeRuns: number, seed: number) {
  const random = createSeededRandom(seed);
  const detectedAt: number[] = [];
  for (let trial = 0; trial < TRIALS; trial++) {
    let beforeSuccesses = 0;
    for (let i = 0; i < beforeRuns; i++) if (random.chance(rateBefore)) beforeSuccesses++;
    const before = { version: 1, successes: beforeSuccesses, failures: beforeRuns - beforeSuccesses, unknown: 0 };
    let successes = 0;
    let taken = -1;
    for (let runs = 1; runs <= MAX_AFTER; runs++) {
      if (random.chance(rateAfter)) successes++;
      const look = regressionLook(runs, 20);
      if (look <= taken) continue;
      taken = look;
      const after = { version: 2, successes, failures: runs - successes, unknown: 0 };
      if (evaluateRegression({ before, after, look }).decision === "regressed") {
        detectedAt.push(runs);
        break;
      }
    }
  }
  detectedAt.sort((a, b) => a - b);
  return { rolledBack: detectedAt.length / TRIALS, medianRuns: detectedAt[Math.floor(detectedAt.length / 2)] };
}

/** The naive rule, for contrast: the same test at `alpha` after every outcome. */
function simulateNaive(rate: number, beforeRuns: number, trials: number, seed: number): number {
  const random = createSeededRandom(seed);
  let rolledBack = 0;
  for (let trial = 0; trial < trials; trial++) {
    let beforeSuccesses = 0;
    for (let i = 0; i < beforeRuns; i++) if (random.chance(rate)) beforeSuccesses++;
    const before = { successes: beforeSuccesses, failures: beforeRuns - beforeSuccesses };
    let successes = 0;
    for (let runs = 1; runs <= MAX_AFTER; runs++) {
      if (random.chance(rate)) successes++;
      if (runs < 20 || before.successes / beforeRuns - successes / runs < 0.1) continue;
      if (fisherExactLowerTail(before, { successes, failures: runs - successes }) <= 0.05) {
        rolledBack++;
        break;
      }
    }
  }
  return rolledBack / trials;
}

console.log(`Defaults (alpha 0.05, minEpisodes 20, minDrop 0.1); a look after every outcome up to ${MAX_AFTER} runs; ${TRIALS} seeded trials each.\n`);
console.log("| success rate before → after | runs before | rolled back | median runs after the merge when rolled back |");
console.log("|---|---:|---:|---:|");
for (const [rateBefore, rateAfter] of CASES) {
  for (const beforeRuns of BEFORE_RUNS) {
    const { rolledBack, medianRuns } = simulate(rateBefore, rateAfter, beforeRuns, 7);
    console.log(`| ${rateBefore} → ${rateAfter} | ${beforeRuns} | ${(rolledBack * 100).toFixed(1)}% | ${medianRuns ?? "–"} |`);
  }
}

const NAIVE_TRIALS = 500;
console.log(`\nFor contrast, the naive rule (p ≤ 0.05 after every outcome, same minEpisodes and minDrop), ${NAIVE_TRIALS} trials, no change in rate:\n`);
console.log("| success rate | runs before | rolled back |");
console.log("|---|---:|---:|");
for (const rate of [0.8, 0.5]) {
  for (const beforeRuns of BEFORE_RUNS) {
    console.log(`| ${rate} → ${rate} | ${beforeRuns} | ${(simulateNaive(rate, beforeRuns, NAIVE_TRIALS, 7) * 100).toFixed(1)}% |`);
  }
}
