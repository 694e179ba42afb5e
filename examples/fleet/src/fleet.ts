/**
 * Starts a whole fleet on this machine and reports what it learned: a
 * PostgreSQL server (the shared episode queue; or the one at `databaseUrl`),
 * a Chroma server (the shared memory; or `chromaUrl`), learning workers and
 * agent replicas, each its own process. The agents' invoice API takes cents;
 * they were built for euros, so their first runs fail, a worker learns a
 * validated lesson, and their later runs are served it and succeed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { ChromaLessonMemory, startChroma } from "@lessonloop/chroma";
import { createLexicalEmbedder } from "@lessonloop/core";
import { startPostgres } from "@lessonloop/queue-pg/testing";

export interface RunFleetParams {
  /** A PostgreSQL server to use; default: one started in a temporary folder. */
  databaseUrl?: string | undefined;
  /** A Chroma server to use; default: the embedded one. */
  chromaUrl?: string | undefined;
  agents?: number;
  runs?: number;
  workers?: number;
  /** Pause between an agent's runs (ms), so later runs meet what was learned. */
  pauseMs?: number;
  /** The scripted models' latency a call (ms). */
  latencyMs?: number;
  print?: (line: string) => void;
}

interface FleetChild {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  until(match: (line: Record<string, unknown>) => boolean): Promise<void>;
}

function launch(script: "agent.ts" | "worker.ts", input: Record<string, unknown>): FleetChild {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const child = spawn(process.execPath, ["--conditions=@lessonloop/source", "--import", "tsx", path, JSON.stringify(input)], { stdio: ["ignore", "pipe", "inherit"] });
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (text) => {
    if (!text.startsWith("{")) return;
    lines.push(JSON.parse(text) as Record<string, unknown>);
    for (const wake of waiters) wake();
  });
  return {
    child,
    lines,
    until: (match) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (lines.some(match)) {
            waiters.delete(check);
            resolve();
          } else if (child.exitCode !== null) reject(new Error(`${script} ended early (exit ${child.exitCode})`));
        };
        waiters.add(check);
        child.once("exit", check);
        check();
      }),
  };
}

export async function runFleet({ databaseUrl, chromaUrl, agents = 3, runs = 4, workers = 2, pauseMs = 1_500, latencyMs = 30, print = console.log }: RunFleetParams = {}) {
  const postgres = databaseUrl === undefined ? await startPostgres() : undefined;
  const chroma = await startChroma(chromaUrl === undefined ? {} : { url: chromaUrl });
  const postgresUrl = databaseUrl ?? (postgres?.url as string);
  const memory = `fleet-${Date.now().toString(36)}`;
  const children: FleetChild[] = [];
  try {
    print(`PostgreSQL (episode queue) at ${postgresUrl.replace(/\/\/[^@/]*@/, "//***@")}; Chroma (memory "${memory}") at ${chroma.url}`);
    const workerProcesses = Array.from({ length: workers }, (_, index) => launch("worker.ts", { chromaUrl: chroma.url, memory, postgres: postgresUrl, worker: index + 1, latencyMs }));
    children.push(...workerProcesses);
    await Promise.all(workerProcesses.map((worker) => worker.until((line) => "ready" in line)));
    print(`${workers} learning workers ready; starting ${agents} agent replicas, ${runs} runs each`);
    const agentProcesses = Array.from({ length: agents }, (_, index) => launch("agent.ts", { chromaUrl: chroma.url, memory, postgres: postgresUrl, agent: index + 1, runs, pauseMs }));
    children.push(...agentProcesses);
    await Promise.all(agentProcesses.map((agent) => agent.until((line) => "done" in line)));
    const served = agentProcesses.flatMap((agent) => agent.lines.filter((line) => "task" in line));
    // Every run's episode was in the queue when the run returned: wait until the workers learned them all.
    const learned = () => workerProcesses.flatMap((worker) => worker.lines.filter((line) => "learned" in line));
    await Promise.all(workerProcesses.map((worker) => worker.until(() => learned().length >= served.length)));
    for (const worker of workerProcesses) worker.child.kill("SIGTERM");
    await Promise.all(workerProcesses.map((worker) => worker.until((line) => "stopped" in line)));

    for (const agent of agentProcesses) {
      const results = agent.lines.filter((line) => "task" in line);
      print(`agent ${String(results[0]?.["agent"])}: ${results.map((line) => (line["ok"] === true ? "✓" : "✗")).join(" ")}`);
    }
    const perWorker = workerProcesses.map((worker, index) => `worker ${index + 1} learned ${worker.lines.filter((line) => "learned" in line).length}`);
    print(`${served.length} episodes acknowledged, ${learned().length} learned (${perWorker.join(", ")})`);
    const shared = await ChromaLessonMemory.open({ url: chroma.url, name: memory, embedder: createLexicalEmbedder() });
    const lessons = await shared.list({});
    const merges = (await shared.history({ limit: 1_000 })).filter((snapshot) => snapshot.kind === "commit").length;
    print(`Lessons live in the shared memory (${lessons.length}, ${merges} merge${merges === 1 ? "" : "s"}):`);
    for (const lesson of lessons) print(`  when ${lesson.trigger}: ${lesson.guidance}`);
    return { acknowledged: served.length, learned: learned().length, lessons, merges, outcomes: served.map((line) => line["ok"] === true) };
  } finally {
    for (const { child } of children) if (child.exitCode === null) child.kill("SIGKILL");
    await chroma.stop();
    await postgres?.stop();
  }
}
