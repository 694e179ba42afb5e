#!/usr/bin/env node
// The `lessonloop` command. All logic lives in `runCli` (src/cli.ts); this launcher only
// connects it to the process. `#cli` resolves to the built dist/cli.js, or to the
// TypeScript source under the `@lessonloop/source` condition (`pnpm --filter lessonloop cli`).
import { runCli } from "#cli";

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
