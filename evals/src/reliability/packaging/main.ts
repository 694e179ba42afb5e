// `pnpm test:pack`: the packaging check alone (what CI runs after `pnpm test`); it builds,
// packs, installs with npm outside the repository and runs a first script (pack-install.ts).
import { printScenarioReport } from "../scenario-report.js";
import { runPackInstallScenario } from "./pack-install.js";

const report = await runPackInstallScenario();
printScenarioReport(report);
process.exitCode = report.passed ? 0 : 1;
