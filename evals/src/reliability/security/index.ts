import fc from "fast-check";
import type { ScenarioReport } from "../scenario-report.js";
import { checkIsolation, isolationWorldArb, openIsolationStores, type IsolationFinding } from "./isolation.js";
import { runMalformedOutput } from "./malformed-output.js";
import { runPoisoning } from "./poisoning.js";
import { runSmugglingScenario } from "./smuggling.js";
import { runValidatorFaults } from "./validator-faults.js";

export { runPoisoning, isHarmful } from "./poisoning.js";
export type { PoisoningParams, PoisoningResult, PoisoningOutcome } from "./poisoning.js";
export { RED_TEAM_CASES, BENIGN_CASES } from "./red-team-cases.js";
export { runSmuggling, runSmugglingScenario, isSmugglingHarmful } from "./smuggling.js";
export type { SmugglingParams, SmugglingResult, SmugglingOutcome, SmugglingClassFigures, SmugglingScenarioResult } from "./smuggling.js";
export { SMUGGLING_VARIANTS, SMUGGLING_CLASSES } from "./smuggling-cases.js";
export type { SmugglingVariant, SmugglingClass, SmugglingControl } from "./smuggling-cases.js";
export type { RedTeamCase, BenignCase, RedTeamCategory, PoisonVector, Probe } from "./red-team-cases.js";
export { checkIsolation, isolationWorldArb, openIsolationStores } from "./isolation.js";
export type { IsolationWorld, IsolationFinding, IsolationStores } from "./isolation.js";
export { runValidatorFaults, expectedDecision } from "./validator-faults.js";
export type { ValidatorFault, ValidatorFaultRun, ValidatorFaultsParams } from "./validator-faults.js";
export { runMalformedOutput, malformedAnswerArb } from "./malformed-output.js";
export type { MalformedOutputParams, StepFigures } from "./malformed-output.js";

export interface SecurityScenariosParams {
  /** A running Chroma server: every scenario keeps its memory and edge cases there, in collections of its own. */
  chromaUrl: string;
  /** Prefix of the collections this run creates. Default `security-<time>`. */
  collectionPrefix?: string;
  /** `full` (the default, for `pnpm reliability`) or `ci` (the sizes the tests use). */
  size?: "full" | "ci";
  /** Seed of the generated cases. Default 8. */
  seed?: number;
  /** Told each report as it is ready. */
  onReport?: (report: ScenarioReport) => void;
}

const SIZES = {
  full: { memoryWorlds: 300, chromaWorlds: 30, validatorRounds: 3, malformedPerStep: 500 },
  ci: { memoryWorlds: 60, chromaWorlds: 6, validatorRounds: 1, malformedPerStep: 40 },
} as const;

async function isolationReport(chromaUrl: string, prefix: string, worlds: { memory: number; chroma: number }, seed: number): Promise<ScenarioReport> {
  const started = performance.now();
  const findings: IsolationFinding[] = [];
  let checks = 0;
  let tried = 0;
  for (const [where, runs] of [
    ["in-memory", worlds.memory],
    [{ chromaUrl, prefix: `${prefix}-isolation` }, worlds.chroma],
  ] as const) {
    for (const world of fc.sample(isolationWorldArb, { numRuns: runs, seed })) {
      const result = await checkIsolation(world, await openIsolationStores(where));
      checks += result.checks;
      findings.push(...result.findings);
      tried += 1;
    }
  }
  return {
    name: "scope-isolation",
    passed: findings.length === 0,
    figures: { worlds: tried, inMemoryWorlds: worlds.memory, chromaWorlds: worlds.chroma, checks, leaks: findings.length, seconds: Math.round((performance.now() - started) / 100) / 10 },
    notes: [
      "Random tenants (prefix, case and separator look-alikes), users, agents, lessons, retirements, edge cases and queries (fast-check, seed " + seed + ").",
      "Surfaces: memory search / list / diff, the replay-retriever's served lessons; on Chroma also edge-case search and get-by-id, and the CLI's list, diff, history and show with --tenant/--user/--agent.",
      ...findings.slice(0, 10).map((finding) => `LEAK ${finding.surface} ${finding.scope}: ${finding.detail}`),
    ],
  };
}

/**
 * The security half of the reliability suite and its model faults: the
 * poisoning red team through the full loop, the lessons smuggled past
 * validation (issue 21's five classes), the scope-isolation property on
 * both memories, the CLI and the edge-case store, validators that fail, and
 * malformed model output at every model-facing step. Returns one report each.
 */
export async function runSecurityScenarios({
  chromaUrl,
  collectionPrefix = `security-${Date.now().toString(36)}`,
  size = "full",
  seed = 8,
  onReport = () => undefined,
}: SecurityScenariosParams): Promise<ScenarioReport[]> {
  const sizes = SIZES[size];
  const reports: ScenarioReport[] = [];
  const keep = (report: ScenarioReport) => {
    reports.push(report);
    onReport(report);
  };
  keep((await runPoisoning({ chromaUrl, collectionPrefix: `${collectionPrefix}-poisoning` })).report);
  keep((await runSmugglingScenario({ chromaUrl, collectionPrefix: `${collectionPrefix}-smuggling` })).report);
  keep(await isolationReport(chromaUrl, collectionPrefix, { memory: sizes.memoryWorlds, chroma: sizes.chromaWorlds }, seed));
  keep((await runValidatorFaults({ chromaUrl, collectionPrefix: `${collectionPrefix}-validators`, rounds: sizes.validatorRounds })).report);
  keep((await runMalformedOutput({ chromaUrl, collectionPrefix: `${collectionPrefix}-malformed`, casesPerStep: sizes.malformedPerStep, seed })).report);
  return reports;
}
