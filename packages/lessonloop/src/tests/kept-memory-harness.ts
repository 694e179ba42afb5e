// Runs a user's script with a learning loop on all the defaults (kept-memory-process.ts) and the
// `lessonloop` command as a user would: real processes, in a working directory the caller chooses,
// with no CHROMA_URL. Shared by loop-memory-kept.int.test.ts and the reliability suite's
// `memory-kept` scenario (evals/src/reliability/faults/memory-kept.ts).
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { LessonloopError } from "@lessonloop/core";
import { parseWith } from "@lessonloop/core/internal";
import { z } from "zod";

const SCRIPT = fileURLToPath(new URL("./kept-memory-process.ts", import.meta.url));
const BIN = fileURLToPath(new URL("../../bin/lessonloop.js", import.meta.url));
// Resolved here: the processes run in a folder of their own, where `tsx` is not installed.
const TSX = import.meta.resolve("tsx");
const NODE_ARGS = ["--conditions=@lessonloop/source", "--import", TSX];
// No CHROMA_URL: the memory must be found from the working directory alone.
const ENV = { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "" };

/** What the script does: learn and exit, count what memory holds and exit, or count and keep running until SIGTERM. */
export type KeptMemoryMode = "learn" | "count" | "hold";

export const KeptMemoryOptionsSchema = z
  .object({
    /** Lessons to learn (learn mode), one a failed invoice for another customer. */
    lessons: z.number().int().min(1).max(100).default(1),
    /** Whether the script calls `loop.close()` before it ends (learn and count modes); without, it simply ends. */
    close: z.boolean().default(true),
  })
  .strict();
export type KeptMemoryOptions = z.input<typeof KeptMemoryOptionsSchema>;

/** The one JSON line the script prints. */
export const KeptMemoryPrintedSchema = z
  .object({
    /** The loop's embedded server's data folder and URL. */
    path: z.string(),
    url: z.string(),
    /** The ids of the lessons memory lists once learning is done. */
    lessons: z.array(z.string()),
    /** The ids of the lessons a selector served for the first task (the first customer's invoice). */
    served: z.array(z.string()),
    /** From just before `createLearningLoop` to the first lesson a selector served for the first task (ms). */
    openToFirstLessonMs: z.number(),
    /** The same moment, from the start of the Node process (ms): module loading included. */
    processStartToFirstLessonMs: z.number(),
  })
  .strict();
export type KeptMemoryPrinted = z.infer<typeof KeptMemoryPrintedSchema>;

export interface KeptMemoryScript {
  child: ChildProcess;
  /** The printed line, parsed; rejects if the script exits without one. */
  printed: Promise<KeptMemoryPrinted>;
  /** Everything printed on stdout so far. */
  stdout: () => string;
  exited: Promise<number | null>;
}

/** Starts kept-memory-process.ts in `cwd`. */
export function runKeptMemoryScript(mode: KeptMemoryMode, cwd: string, options: KeptMemoryOptions = {}): KeptMemoryScript {
  const child = spawn(process.execPath, [...NODE_ARGS, SCRIPT, mode, JSON.stringify(options)], { cwd, env: ENV, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr = `${stderr}${chunk.toString()}`.slice(-4_000)));
  const printed = new Promise<KeptMemoryPrinted>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      stdout += `${line}\n`;
      if (line.startsWith("{")) resolve(parseWith(KeptMemoryPrintedSchema, JSON.parse(line), "kept-memory script output"));
    });
    child.once("exit", () => setTimeout(() => reject(new LessonloopError("timeout", `The kept-memory script (${mode}) exited before printing; its stderr: ${stderr}`)), 100));
  });
  // A rejection nobody awaits (the script printed, then exited) is not an error.
  printed.catch(() => undefined);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, printed, stdout: () => stdout, exited };
}

/** Runs `lessonloop <args>` in `cwd` (no server given, no CHROMA_URL). */
export function runLessonloopCli(args: readonly string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...NODE_ARGS, BIN, ...args], { cwd, env: ENV, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr });
    });
  });
}

const ListedSchema = z.object({ lessons: z.array(z.object({ lesson: z.object({ id: z.string() }) })) });

/** The lesson ids `lessonloop list --json` printed. */
export function listedLessonIds(stdout: string): string[] {
  return parseWith(ListedSchema, JSON.parse(stdout), "lessonloop list --json output").lessons.map(({ lesson }) => lesson.id);
}
