#!/usr/bin/env node
// The `lessonloop` command. All logic lives in `runCli` (src/cli.ts); this launcher only
// connects it to the process. `#cli` resolves to the built dist/cli.js, or to the
// TypeScript source under the `@lessonloop/source` condition (`pnpm --filter lessonloop cli`).
import { runCli } from "#cli";

// SIGINT and SIGTERM stop the long-running `worker` gracefully (a second one ends it at once);
// every other command keeps the default: a signal ends it.
const stop = new AbortController();
const args = process.argv.slice(2);
if ((args[0] === "--" ? args[1] : args[0]) === "worker") {
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => (stop.signal.aborted ? process.exit(130) : stop.abort()));
}

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: stop.signal,
});
