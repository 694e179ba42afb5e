import type { ScenarioReport } from "../scenario-report.js";
import { runChromaRestartScenario, type ChromaRestartParams } from "./chroma-restart.js";
import { runMemoryKeptScenario, type MemoryKeptParams } from "./memory-kept.js";
import { runSigkillScenario, type SigkillParams } from "./sigkill-commits.js";
import { runSingleOwnerScenario, type SingleOwnerParams } from "./single-owner.js";
import { runWalCostScenario, type WalCostParams } from "./wal-cost.js";

export { runChromaRestartScenario, runMemoryKeptScenario, runSigkillScenario, runSingleOwnerScenario, runWalCostScenario };
export type { ChromaRestartParams, MemoryKeptParams, SigkillParams, SingleOwnerParams, WalCostParams };

export interface FaultScenariosParams {
  chromaRestart?: ChromaRestartParams;
  sigkill?: SigkillParams;
  walCost?: WalCostParams;
  singleOwner?: SingleOwnerParams;
  memoryKept?: MemoryKeptParams;
  /** Told about each report as soon as it is ready. */
  onReport?: (report: ScenarioReport) => void;
}

/** The process-fault scenarios, one after the other (they start and kill real processes). */
export async function runFaultScenarios({ chromaRestart, sigkill, walCost, singleOwner, memoryKept, onReport = () => undefined }: FaultScenariosParams = {}): Promise<ScenarioReport[]> {
  const reports: ScenarioReport[] = [];
  for (const run of [() => runChromaRestartScenario(chromaRestart), () => runSigkillScenario(sigkill), () => runWalCostScenario(walCost), () => runSingleOwnerScenario(singleOwner), () => runMemoryKeptScenario(memoryKept)]) {
    const report = await run();
    onReport(report);
    reports.push(report);
  }
  return reports;
}
