import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLexicalEmbedder } from "@lessonloop/core";
import { ChromaLessonMemory, startChroma, type ChromaServer } from "@lessonloop/chroma";
import { createSeededRandom, percentile } from "@lessonloop/core/testing";
import { killHard, loadAverage, spawnScript, type ScriptProcess } from "../faults/child-process.js";
import { checkMemoryConsistency, type AckedWrite } from "../faults/memory-consistency.js";
import type { ScenarioReport } from "../scenario-report.js";
import { ConcurrentWriterMessageSchema, concurrentLessonId, type ConcurrentWriterMessage } from "./concurrent-writer-protocol.js";

export interface ConcurrentCommitsParams {
  /** Writer processes committing at once. Default 3. */
  writers?: number;
  /** Commits per writer. Default 100. */
  commitsPerWriter?: number;
  /** Every n-th commit of every writer merges the same shared lesson. Default 10. */
  sharedEvery?: number;
  /** Whether one writer first does the same alone, for the uncontended commit latency. Default true. */
  baseline?: boolean;
  /** An existing Chroma server; default one started (and stopped) here. */
  chromaUrl?: string;
}

interface RoundResult {
  acked: AckedWrite[];
  latencies: number[];
  errors: string[];
  writes: number;
  lostRaces: number;
  expected: Set<string>;
  /** From the go signal to the last writer's last commit. */
  wallMs: number;
}

/** Runs `writers` processes committing `commitsPerWriter` lessons each to one fresh memory, all starting together. */
async function runRound(url: string, name: string, writers: number, commitsPerWriter: number, sharedEvery: number): Promise<RoundResult> {
  const folder = await mkdtemp(join(tmpdir(), "lessonloop-concurrency-"));
  const goFile = join(folder, "go");
  const processes: ScriptProcess<ConcurrentWriterMessage>[] = [];
  try {
    for (let writer = 0; writer < writers; writer++) {
      processes.push(
        spawnScript({
          script: "concurrency/concurrent-writer.ts",
          input: { url, name, writer, commits: commitsPerWriter, sharedEvery, goFile },
          messageSchema: ConcurrentWriterMessageSchema,
        }),
      );
    }
    await Promise.all(processes.map((process) => process.waitFor((message) => message.type === "ready")));
    await writeFile(goFile, "go");
    const go = Date.now();
    await Promise.all(processes.map((process) => process.waitFor((message) => message.type === "done", 600_000)));
    const wallMs = Date.now() - go;
    const messages = processes.flatMap((process) => process.messages);
    const expected = new Set<string>();
    for (let writer = 0; writer < writers; writer++) for (let index = 0; index < commitsPerWriter; index++) expected.add(concurrentLessonId(writer, index, sharedEvery));
    return {
      acked: messages.flatMap((message) => (message.type === "ack" ? [{ version: message.version, kind: "commit" as const, added: message.added }] : [])),
      latencies: messages.flatMap((message) => (message.type === "ack" ? [message.ms] : [])),
      errors: messages.flatMap((message) => (message.type === "error" ? [message.message] : [])),
      writes: messages.reduce((sum, message) => sum + (message.type === "done" ? message.writes : 0), 0),
      lostRaces: messages.reduce((sum, message) => sum + (message.type === "done" ? message.lostRaces : 0), 0),
      expected,
      wallMs,
    };
  } finally {
    await Promise.all(processes.map((process) => killHard(process)));
    await rm(folder, { recursive: true, force: true });
  }
}

const round2 = (value: number) => Math.round(value * 100) / 100;

/**
 * Several processes commit to one memory at the same time (with a share of
 * lessons every writer commits at the same point). Then: one linear history,
 * every approved lesson present exactly once, no acknowledged commit lost. A
 * single writer doing the same first gives the uncontended commit latency.
 */
export async function runConcurrentCommitsScenario({ writers = 3, commitsPerWriter = 100, sharedEvery = 10, baseline = true, chromaUrl }: ConcurrentCommitsParams = {}): Promise<ScenarioReport> {
  let chroma: ChromaServer | undefined;
  const started = Date.now();
  try {
    chroma = await startChroma({ url: chromaUrl });
    const stamp = Date.now();
    const alone = baseline ? await runRound(chroma.url, `alone-${stamp}`, 1, commitsPerWriter, 0) : undefined;
    const name = `together-${stamp}`;
    const together = await runRound(chroma.url, name, writers, commitsPerWriter, sharedEvery);
    const report = await checkMemoryConsistency({ url: chroma.url, name, acked: together.acked, random: createSeededRandom(writers) });
    const memory = await ChromaLessonMemory.open({ url: chroma.url, name, embedder: createLexicalEmbedder(), cacheSize: 0 });
    const present = (await memory.list()).map((lesson) => lesson.id);
    const presentSet = new Set(present);
    const lost = [...together.expected].filter((id) => !presentSet.has(id));
    const duplicates = present.length - presentSet.size + report.duplicateAdds;
    const figures = {
      writers,
      commitsTried: writers * commitsPerWriter,
      commitsAcknowledged: together.acked.length,
      commitErrors: together.errors.length,
      distinctLessonsExpected: together.expected.size,
      lessonsPresent: presentSet.size,
      lostUpdates: lost.length,
      duplicates,
      historyVersions: report.head,
      racesLostAndRetried: together.lostRaces,
      ...(alone === undefined
        ? {}
        : {
            commitP50MsAlone: round2(percentile(alone.latencies, 50)),
            commitP95MsAlone: round2(percentile(alone.latencies, 95)),
            commitsPerSecondAlone: round2(alone.latencies.length / (alone.wallMs / 1_000)),
          }),
      commitsPerSecondTogether: round2(together.acked.length / (together.wallMs / 1_000)),
      commitP50MsTogether: round2(percentile(together.latencies, 50)),
      commitP95MsTogether: round2(percentile(together.latencies, 95)),
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
    return {
      name: "concurrent-commits",
      figures,
      passed: lost.length === 0 && duplicates === 0 && together.errors.length === 0 && report.problems.length === 0 && report.head === presentSet.size,
      notes: [
        `${writers} processes × ${commitsPerWriter} single-lesson commits at once on one memory; every ${sharedEvery}th commit of each writer is the same shared lesson (committed by all, merged once). "Alone": 1 process × ${commitsPerWriter} commits on a fresh memory, same code.`,
        `load ${await loadAverage()}`,
        ...report.problems.slice(0, 5),
        ...together.errors.slice(0, 3),
      ],
    };
  } finally {
    await chroma?.stop();
  }
}
