/**
 * One seed of `pnpm bench` in its own process (started by `seed-pool.ts`):
 * reads its job from the one JSON argument, runs `runBenchmark`, writes the
 * results to the job's `resultsPath` and reports progress as JSON lines on
 * stdout. Reads the environment only for `openai` mode's endpoint.
 */
import { writeFile } from "node:fs/promises";
import { LessonloopError, createLexicalEmbedder } from "@lessonloop/core";
import { parseWith } from "@lessonloop/core/internal";
import { createEnvironment } from "../environments/index.js";
import { createOpenAiSuite } from "../openai/openai-suite.js";
import { openAiSuiteConfigFromEnv } from "../openai/openai-suite-config.js";
import { createSimSuite } from "../sim/index.js";
import { runBenchmark } from "./run-benchmark.js";
import { SeedJobSchema, type SeedRunMessage } from "./seed-run-protocol.js";

function send(message: SeedRunMessage): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

async function main(argument: string | undefined): Promise<void> {
  let json: unknown;
  try {
    json = JSON.parse(argument ?? "");
  } catch (cause) {
    throw new LessonloopError("invalid_input", "The seed worker takes its job as one JSON argument.", { cause });
  }
  const job = parseWith(SeedJobSchema, json, "seed job");
  const suite =
    job.mode === "sim" ? createSimSuite({ seed: job.seed, ...job.simRates }) : createOpenAiSuite(openAiSuiteConfigFromEnv(process.env));
  const results = await runBenchmark({
    suite,
    environments: job.environments.map(createEnvironment),
    strategies: job.strategies,
    seed: job.seed,
    episodes: job.episodes,
    probes: job.probes,
    loop: job.loop,
    chromaUrl: job.chromaUrl,
    embedder: createLexicalEmbedder(),
    runId: job.runId,
    progress: { start: () => {}, tick: (label) => send({ type: "episode", label }), done: () => {} },
    onWarning: (message) => send({ type: "warning", message }),
  });
  await writeFile(job.resultsPath, JSON.stringify(results));
}

main(process.argv[2]).catch((error: unknown) => {
  send({
    type: "failed",
    message: error instanceof Error ? (LessonloopError.isInstance(error) ? error.message : (error.stack ?? error.message)) : String(error),
    ...(LessonloopError.isInstance(error) ? { code: error.code } : {}),
  });
  process.exitCode = 1;
});
