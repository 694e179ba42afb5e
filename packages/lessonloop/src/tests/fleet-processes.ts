// Starting and watching the fleet's processes (fleet.int.test.ts, bench/fleet-bench.ts).
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

const here = fileURLToPath(new URL(".", import.meta.url));

/** A fleet process and every JSON line it printed, with when (ms, `performance.now()` of this process). */
export interface FleetProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly lines: { at: number; line: Record<string, unknown> }[];
  /** Waits for a line `match` accepts (looking at those already printed too); fails after `timeoutMs` or when the process ends first. */
  waitFor(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** SIGKILL, and waits until it is gone. */
  kill(): Promise<void>;
  /** SIGTERM, and waits until it exits (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<void>;
}

/** Runs `script` (fleet-agent.ts or fleet-worker.ts beside this file) with its JSON input. */
export function startFleetProcess(name: string, script: "fleet-agent.ts" | "fleet-worker.ts", input: Record<string, unknown>): FleetProcess {
  const child = spawn(process.execPath, ["--conditions=@lessonloop/source", "--import", "tsx", `${here}${script}`, JSON.stringify(input)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: FleetProcess["lines"] = [];
  const waiters = new Set<() => void>();
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (text) => {
    try {
      lines.push({ at: performance.now(), line: JSON.parse(text) as Record<string, unknown> });
    } catch {
      return;
    }
    for (const wake of waiters) wake();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("exit", () => {
    for (const wake of waiters) wake();
  });
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    name,
    child,
    lines,
    waitFor(match, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find(({ line }) => match(line));
          if (found !== undefined) {
            done();
            resolve(found.line);
          } else if (gone()) {
            done();
            reject(new Error(`${name} ended (${child.exitCode ?? child.signalCode}) before the line awaited; its stderr: ${stderr}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${name}: no such line within ${timeoutMs} ms; its stderr: ${stderr}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async kill() {
      if (!gone()) child.kill("SIGKILL");
      await exited;
    },
    async stop(timeoutMs = 10_000) {
      if (gone()) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
