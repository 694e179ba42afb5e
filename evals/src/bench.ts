/**
 * `pnpm bench`: the same drifting task streams through a static agent, a
 * reflection buffer, unvalidated learning, lessonloop and an oracle; prints a
 * summary, writes `results.json` and `report.html`. The only place that reads
 * the command line and the environment.
 */
import { resolve } from "node:path";
import { LessonloopError } from "@lessonloop/core";
import { createLexicalEmbedder, startChroma } from "@lessonloop/chroma";
import { BENCH_USAGE, parseBenchOptions, type BenchOptions } from "./bench-options.js";
import { createEnvironment } from "./environments/index.js";
import type { ModelSuite } from "./harness/model-suite.js";
import { runBenchmark } from "./harness/run-benchmark.js";
import { createOpenAiSuite } from "./openai/openai-suite.js";
import { openAiSuiteConfigFromEnv } from "./openai/openai-suite-config.js";
import { formatSummary, ProgressBar } from "./report/terminal.js";
import { writeResults } from "./report/write-results.js";
import { createSimSuite } from "./sim/index.js";

function suiteFor(options: BenchOptions): ModelSuite {
  return options.mode === "sim" ? createSimSuite({ seed: options.seed }) : createOpenAiSuite(openAiSuiteConfigFromEnv(process.env));
}

async function main(argv: readonly string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(BENCH_USAGE);
    return;
  }
  const options = parseBenchOptions(argv);
  const suite = suiteFor(options);
  const environments = options.environments.map(createEnvironment);
  const chromaUrl = process.env["CHROMA_URL"];
  const chroma = await startChroma(chromaUrl === undefined || chromaUrl === "" ? {} : { url: chromaUrl });
  const warnings = new Map<string, number>();
  try {
    const results = await runBenchmark({
      suite,
      environments,
      strategies: options.strategies,
      seed: options.seed,
      episodes: options.episodes,
      probes: options.probes,
      chromaUrl: chroma.url,
      embedder: createLexicalEmbedder(),
      progress: new ProgressBar(),
      onWarning: (message) => warnings.set(message, (warnings.get(message) ?? 0) + 1),
    });
    console.log(formatSummary(results));
    const written = await writeResults(resolve(options.out), results);
    if (warnings.size > 0) {
      console.log(`\nWarnings during the run (${[...warnings.values()].reduce((sum, n) => sum + n, 0)}):`);
      for (const [message, times] of [...warnings].slice(0, 10)) console.log(`  ${times}× ${message.slice(0, 200)}`);
    }
    console.log(`\nWrote ${written.resultsPath}\n  and ${written.reportPath}`);
  } finally {
    await chroma.stop();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(LessonloopError.isInstance(error) ? error.message : error);
  process.exitCode = 1;
});
