import { LessonloopError } from "@lessonloop/core";
import { escapeInvisible, redactUrlCredentials } from "@lessonloop/core/internal";
import { UsageError, helpText, parseCommandLine } from "./cli/command-line.js";
import { DEFAULT_DATA_FOLDER } from "./data-folder.js";

/** Where the command-line tool reads its environment and writes its output. */
export interface CliIo {
  /** Results: tables and details, or JSON with `--json`. */
  stdout: { write(chunk: string): unknown };
  /** Errors (as `{ "error": { "code", "message" } }` with `--json`). */
  stderr: { write(chunk: string): unknown };
  /** Read for `CHROMA_URL` (the server, unless `--chroma-url` is given) and `USER` (the default author). */
  env: Readonly<Record<string, string | undefined>>;
  /** The working directory, whose `.lessonloop` folder holds the memory when no server is given. Default none: a server must be given. */
  cwd?: string;
  /** Stops a long-running command (`worker`) gracefully; the launcher aborts it on SIGINT and SIGTERM. */
  signal?: AbortSignal;
}

/** Exit codes of `lessonloop`. */
export const EXIT_CODES = {
  /** The command did what was asked. */
  ok: 0,
  /** The operation failed: server down, unknown lesson id or version, a conflict, a corrupt store. */
  failed: 1,
  /** The command line is wrong: unknown command or option, a bad or missing argument. Nothing was touched. */
  usage: 2,
} as const;

/**
 * Text for a terminal: what the memory holds may carry characters that show
 * nothing (Unicode tags, zero-width, bidi controls) or move the cursor; each is
 * shown as an escape (`\u{E0041}`), so a reviewer sees what a model would read.
 */
function forTerminal(text: string): string {
  return escapeInvisible(text);
}

function printError(io: CliIo, json: boolean, code: string, message: string, hint?: string): void {
  const safe = redactUrlCredentials(message);
  if (json) io.stderr.write(`${JSON.stringify({ error: { code, message: safe } })}\n`);
  else io.stderr.write(`lessonloop: ${forTerminal(safe)}${hint === undefined ? "" : `\n${hint}`}\n`);
}

/** A bug, not a user error: reported with its stack so it can be filed. */
function unexpected(io: CliIo, json: boolean, error: unknown): number {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  printError(io, json, "internal_error", `Unexpected error (please report it): ${detail}`);
  return EXIT_CODES.failed;
}

/**
 * The Chroma server holding the memory: the one given, else the memory a
 * learning loop keeps in `<cwd>/.lessonloop` — through the server running on
 * that folder (its lock names it), or an embedded one started on it for this
 * command.
 */
async function memoryServer(url: string | undefined, cwd: string | undefined): Promise<{ url: string; stop(): Promise<void> }> {
  if (url !== undefined) return { url, stop: async () => {} };
  const [{ existsSync }, { join }, { startChroma }] = await Promise.all([import("node:fs"), import("node:path"), import("@lessonloop/chroma")]);
  const folder = cwd === undefined ? undefined : join(cwd, DEFAULT_DATA_FOLDER);
  if (folder === undefined || !existsSync(folder)) {
    throw new LessonloopError(
      "not_found",
      `No memory here: ${folder ?? DEFAULT_DATA_FOLDER} does not exist. Run lessonloop in the folder your app runs in (its learning loop keeps the memory in ./${DEFAULT_DATA_FOLDER}), or pass --chroma-url (or set CHROMA_URL) for a Chroma server.`,
      { details: { path: folder ?? DEFAULT_DATA_FOLDER } },
    );
  }
  return startChroma({ path: folder, whenHeld: "connect" });
}

/**
 * Runs the `lessonloop` command line — `list`, `show`, `history`, `diff`,
 * `rollback`, `pending`, `approve`, `reject` — on a memory in Chroma, and
 * resolves to the exit code (see `EXIT_CODES`). Never throws and never reads
 * `process`: the launcher (bin/lessonloop.js) passes argv, streams and env in.
 *
 * With `--json` anywhere on the command line every answer is JSON: results
 * on stdout, help as `{ "help": text }`, errors as `{ "error": { code, message } }`.
 *
 * @param argv The arguments after the program name, e.g. `["list", "--json"]`.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  // Known before parsing, so even a bad command line can answer in JSON.
  const json = argv.includes("--json");
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv, io.env);
  } catch (error) {
    if (!(error instanceof UsageError)) return unexpected(io, json, error);
    const hint = error.command === undefined ? 'Run "lessonloop --help" for usage.' : `Run "lessonloop ${error.command} --help" for usage.`;
    printError(io, json, "invalid_input", error.message, hint);
    if (!json && error.command === undefined && argv.length === 0) io.stderr.write(`\n${helpText()}\n`);
    return EXIT_CODES.usage;
  }
  if (parsed.kind === "help") {
    io.stdout.write(json ? `${JSON.stringify({ help: parsed.text })}\n` : `${parsed.text}\n`);
    return EXIT_CODES.ok;
  }

  const { global, command } = parsed;
  try {
    if (command.name === "worker" || command.name === "dead-letters") {
      const { deadLetters, runWorker } = await import("./cli/queue-commands.js");
      if (command.name === "worker") {
        await runWorker(command, global, { write: (line) => io.stdout.write(`${line}\n`), env: io.env, signal: io.signal });
        return EXIT_CODES.ok;
      }
      const output = await deadLetters(command);
      io.stdout.write(global.json ? `${JSON.stringify(output.json, null, 2)}\n` : `${forTerminal(output.text)}\n`);
      return EXIT_CODES.ok;
    }
    // Loaded only to run a command: help and usage errors answer without loading Chroma's client or LangGraph.
    const [{ connectMemory }, { runCommand }] = await Promise.all([import("./cli/memory-connection.js"), import("./cli/commands.js")]);
    const server = await memoryServer(global.chromaUrl, io.cwd);
    let output: Awaited<ReturnType<typeof runCommand>>;
    try {
      output = await runCommand(await connectMemory({ url: server.url, name: global.memory }), command);
    } finally {
      await server.stop();
    }
    // JSON keeps every character as stored: it is for programs, which must get exactly what is there.
    io.stdout.write(global.json ? `${JSON.stringify(output.json, null, 2)}\n` : `${forTerminal(output.text)}\n`);
    return EXIT_CODES.ok;
  } catch (error) {
    if (!LessonloopError.isInstance(error)) return unexpected(io, global.json, error);
    printError(io, global.json, error.code, error.message);
    return EXIT_CODES.failed;
  }
}
