import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline";
import { LessonloopError } from "@lessonloop/core";
import type { z } from "zod";

/** The evals package folder: children resolve `tsx` and the workspace packages from there. */
const EVALS_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** A script of the reliability suite running in its own Node process, talking JSON lines on stdout. */
export interface ScriptProcess<Message> {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every message received so far, in order. */
  readonly messages: Message[];
  /** When each message arrived (`Date.now()`), parallel to `messages`. */
  readonly receivedAt: number[];
  /** Resolves with the first message (already received or to come) that `match` accepts. */
  waitFor(match: (message: Message) => boolean, timeoutMs?: number): Promise<Message>;
  /** Resolves when the process has exited, with its code or signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Last lines the process wrote to stderr, for error messages. */
  stderrTail(): string;
}

export interface SpawnScriptParams<Message> {
  /** Path of the TypeScript script, relative to this folder's parent (`evals/src/reliability`). */
  script: string;
  /** Handed to the script as one JSON argument (it parses it with its own schema). */
  input: unknown;
  /** Parses each stdout line. Lines that do not parse are kept in stderr's tail and otherwise ignored. */
  messageSchema: z.ZodType<Message>;
}

/**
 * Starts a script with `node --import tsx` (one process, so a SIGKILL hits the
 * script itself, not a wrapper) under the workspace's source condition.
 */
export function spawnScript<Message>({ script, input, messageSchema }: SpawnScriptParams<Message>): ScriptProcess<Message> {
  const path = resolve(EVALS_ROOT, "src/reliability", script);
  const child = spawn(process.execPath, ["--import", "tsx", "--conditions=@lessonloop/source", path, JSON.stringify(input)], {
    cwd: EVALS_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new LessonloopError("invalid_input", `Could not start ${script}.`);
  const messages: Message[] = [];
  const receivedAt: number[] = [];
  const listeners = new Set<() => void>();
  let stderr = "";
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    let parsed: Message;
    try {
      parsed = messageSchema.parse(JSON.parse(line));
    } catch {
      stderr = `${stderr}${line}\n`.slice(-4_000);
      return;
    }
    messages.push(parsed);
    receivedAt.push(Date.now());
    for (const listener of listeners) listener();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = `${stderr}${chunk.toString()}`.slice(-4_000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) =>
    child.once("exit", (code, signal) => {
      resolveExit({ code, signal });
      for (const listener of listeners) listener();
    }),
  );
  let done = false;
  void exited.then(() => (done = true));
  return {
    child,
    pid: child.pid,
    messages,
    receivedAt,
    exited,
    stderrTail: () => stderr.trim().split("\n").slice(-15).join("\n"),
    waitFor(match, timeoutMs = 60_000) {
      return new Promise((resolveMessage, reject) => {
        const check = () => {
          const found = messages.find(match);
          if (found !== undefined) {
            finish();
            resolveMessage(found);
          } else if (done) {
            finish();
            reject(new LessonloopError("timeout", `${script} exited before the awaited message. Its stderr:\n${stderr.trim().split("\n").slice(-15).join("\n")}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new LessonloopError("timeout", `${script} sent no awaited message within ${timeoutMs} ms. Its stderr:\n${stderr.trim().split("\n").slice(-15).join("\n")}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** Sends one JSON message to the parent (a script's side of `spawnScript`). Synchronous on Linux pipes, so it is out before a kill. */
export function sendToParent(message: unknown): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/** Kills with SIGKILL and waits for the exit. */
export async function killHard(script: ScriptProcess<unknown>): Promise<void> {
  script.child.kill("SIGKILL");
  await script.exited;
}

/** The 1-minute load average, for figures measured on a shared machine. */
export async function loadAverage(): Promise<string> {
  const { readFile } = await import("node:fs/promises");
  return (await readFile("/proc/loadavg", "utf8").catch(() => "unknown")).split(" ").slice(0, 3).join(" ");
}
