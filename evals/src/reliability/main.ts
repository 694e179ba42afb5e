// `pnpm reliability`: the reliability suite with its full sizes (or the CI sizes with
// --quick). Runs the fault, concurrency, security and packaging scenarios, prints their figures
// and writes them to evals/results/reliability.json.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startChroma } from "@lessonloop/chroma";
import { parseWith } from "@lessonloop/core/internal";
import { z } from "zod";
import { runConcurrentCommitsScenario } from "./concurrency/index.js";
import { loadAverage } from "./faults/child-process.js";
import { runFaultScenarios } from "./faults/index.js";
import { runPackInstallScenario } from "./packaging/pack-install.js";
import { ScenarioReportSchema, printScenarioReport as print, type ScenarioReport } from "./scenario-report.js";
import { runSecurityScenarios } from "./security/index.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const PARTS = ["faults", "concurrency", "security", "packaging"] as const;

const ArgsSchema = z
  .object({
    /** CI sizes instead of the full ones. */
    quick: z.boolean(),
    /** Only these parts. */
    only: z.array(z.enum(PARTS)),
    seed: z.number().int(),
    out: z.string().min(1),
  })
  .strict();

function parseArgs(argv: readonly string[]): z.infer<typeof ArgsSchema> {
  const args: Record<string, unknown> = { quick: false, only: [...PARTS], seed: 1, out: join(HERE, "../../results/reliability.json") };
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    // pnpm hands a bare "--" through to the script.
    if (arg === "--") continue;
    if (arg === "--quick") args["quick"] = true;
    else if (arg === "--only") args["only"] = (argv[++index] ?? "").split(",").filter((part) => part !== "");
    else if (arg === "--seed") args["seed"] = Number(argv[++index]);
    else if (arg === "--out") args["out"] = argv[++index];
    else args[`unknown argument ${String(arg)}`] = true;
  }
  return parseWith(ArgsSchema, args, "pnpm reliability arguments (--quick, --only faults,concurrency,security,packaging, --seed N, --out FILE)");
}

async function runSecurity({ quick, seed }: { quick: boolean; seed: number }): Promise<ScenarioReport[]> {
  const chromaUrl = process.env["CHROMA_URL"];
  const chroma = await startChroma(chromaUrl === undefined || chromaUrl === "" ? {} : { url: chromaUrl });
  try {
    const reports = await runSecurityScenarios({ chromaUrl: chroma.url, size: quick ? "ci" : "full", seed, onReport: print });
    return parseWith(z.array(ScenarioReportSchema), reports, "security scenario reports");
  } finally {
    await chroma.stop();
  }
}

async function main(): Promise<void> {
  const { quick, only, seed, out } = parseArgs(process.argv.slice(2));
  console.log(`reliability suite (${quick ? "CI sizes" : "full sizes"}; ${only.join(", ")}), load ${await loadAverage()}`);
  const reports: ScenarioReport[] = [];
  if (only.includes("faults")) {
    reports.push(
      ...(await runFaultScenarios({
        chromaRestart: quick ? { runs: 8, laterRuns: 2, pauseMs: 30 } : { runs: 30, laterRuns: 10 },
        sigkill: quick ? { kills: 8, seed } : { kills: 60, seed },
        walCost: quick ? { episodes: 200 } : { episodes: 2_000 },
        singleOwner: quick ? { rounds: 1, episodes: 200 } : { rounds: 5, episodes: 200 },
        memoryKept: quick ? { cycles: 2, lessons: 3 } : { cycles: 6, lessons: 10 },
        onReport: print,
      })),
    );
  }
  if (only.includes("concurrency")) {
    const report = await runConcurrentCommitsScenario(quick ? { writers: 2, commitsPerWriter: 30, sharedEvery: 5, baseline: false } : { writers: 3, commitsPerWriter: 100, sharedEvery: 10 });
    print(report);
    reports.push(report);
  }
  if (only.includes("security")) {
    reports.push(...(await runSecurity({ quick, seed })));
  }
  if (only.includes("packaging")) {
    const report = await runPackInstallScenario();
    print(report);
    reports.push(report);
  }
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify({ generated: "by pnpm reliability — do not edit", at: new Date().toISOString(), quick, seed, load: await loadAverage(), reports }, null, 2)}\n`);
  const failed = reports.filter((report) => !report.passed);
  console.log(`\n${reports.length - failed.length}/${reports.length} scenarios passed; figures in ${out}`);
  process.exitCode = failed.length === 0 ? 0 : 1;
}

await main();
