import { startChroma, type ChromaServer } from "@lessonloop/chroma";
import { createSeededRandom } from "@lessonloop/core/testing";
import type { ScenarioReport } from "../scenario-report.js";
import { killHard, loadAverage, spawnScript, type ScriptProcess } from "./child-process.js";
import { CommitWriterMessageSchema, type CommitWriterInput, type CommitWriterMessage } from "./commit-writer-protocol.js";
import { checkMemoryConsistency, type AckedWrite } from "./memory-consistency.js";

export interface SigkillParams {
  /** How many writer processes are killed (one after the other). Default 50. */
  kills?: number;
  seed?: number;
  /** A writer is killed after its 1st to `maxWritesBeforeKill`-th write began (drawn uniformly). Default 3. */
  maxWritesBeforeKill?: number;
  /** Most lessons per commit. Default 25. */
  maxLessonsPerCommit?: number;
  /** Share of writes that are rollbacks. Default 0.25. */
  rollbackShare?: number;
  /** An existing Chroma server; default one started (and stopped) here. */
  chromaUrl?: string;
}

/**
 * Starts a writer process that commits and rolls back on one memory without
 * end, SIGKILLs it at a random moment, and checks the memory as a restarted
 * process sees it — again and again. After every kill memory must be exactly at
 * a snapshot that was written whole, with every acknowledged write in it.
 */
export async function runSigkillScenario({
  kills = 50,
  seed = 1,
  maxWritesBeforeKill = 3,
  maxLessonsPerCommit = 25,
  rollbackShare = 0.25,
  chromaUrl,
}: SigkillParams = {}): Promise<ScenarioReport> {
  const random = createSeededRandom(seed);
  let chroma: ChromaServer | undefined;
  const writers: ScriptProcess<CommitWriterMessage>[] = [];
  const started = Date.now();
  try {
    chroma = await startChroma({ url: chromaUrl });
    const name = `sigkill-${seed}-${Date.now()}`;
    const acked: AckedWrite[] = [];
    let inconsistent = 0;
    let midWrite = 0;
    let refused = 0;
    const problems: string[] = [];
    let last = { head: 0, commits: 0, rollbacks: 0, lessonsMerged: 0, lostWrites: 0 };
    // How long a write takes here (ms), learned from the writers: kills are spread over that span.
    const writeTimes: number[] = [];
    const typicalWriteMs = () => (writeTimes.length === 0 ? 200 : writeTimes.reduce((sum, ms) => sum + ms, 0) / writeTimes.length);
    for (let kill = 0; kill < kills; kill++) {
      const input: CommitWriterInput = { url: chroma.url, name, seed: seed * 1_000 + kill, prefix: `k${kill}`, maxLessonsPerCommit, rollbackShare };
      const writer = spawnScript({ script: "faults/commit-writer.ts", input, messageSchema: CommitWriterMessageSchema });
      writers.push(writer);
      await writer.waitFor((message) => message.type === "ready");
      // Into the n-th write, at a random point of a typical write's span (or just past it).
      const target = random.int(1, maxWritesBeforeKill);
      await writer.waitFor(() => writer.messages.filter((message) => message.type === "begin").length >= target, 120_000);
      await new Promise((resolve) => setTimeout(resolve, random.next() * 1.2 * typicalWriteMs()));
      await killHard(writer);
      writer.messages.forEach((message, index) => {
        const begun = writer.messages[index - 1];
        if (message.type === "ack" && begun?.type === "begin") writeTimes.push((writer.receivedAt[index] ?? 0) - (writer.receivedAt[index - 1] ?? 0));
      });
      writers.pop();
      // Killed inside a write: its last word was "begin".
      if (writer.messages.at(-1)?.type === "begin") midWrite += 1;
      refused += writer.messages.filter((message) => message.type === "refused").length;
      for (const message of writer.messages) if (message.type === "ack") acked.push({ version: message.version, kind: message.kind, added: message.added });
      const report = await checkMemoryConsistency({ url: chroma.url, name, acked, random });
      if (report.problems.length > 0) {
        inconsistent += 1;
        problems.push(`kill ${kill}: ${report.problems.slice(0, 3).join("; ")}`);
      }
      last = report;
    }
    return {
      name: "sigkill-during-commits-and-rollbacks",
      figures: {
        killsTried: kills,
        killsInsideAWrite: midWrite,
        inconsistentStates: inconsistent,
        acknowledgedWrites: acked.length,
        acknowledgedWritesLost: last.lostWrites,
        refusedWrites: refused,
        finalHead: last.head,
        commits: last.commits,
        rollbacks: last.rollbacks,
        lessonsMerged: last.lessonsMerged,
        seconds: Math.round((Date.now() - started) / 100) / 10,
      },
      passed: inconsistent === 0 && last.lostWrites === 0,
      notes: [
        `Each kill: a fresh writer process (commits of 1–${maxLessonsPerCommit} lessons, ${Math.round(rollbackShare * 100)}% rollbacks, 30% of commits supersede a lesson) SIGKILLed inside or just after its 1st–${maxWritesBeforeKill}th write, at a random point of a typical write's span (mean ${Math.round(typicalWriteMs())} ms here); then memory is reopened and checked (history, list at the head and 3 random versions, search, get, acknowledged writes).`,
        `seed=${seed}, load ${await loadAverage()}`,
        ...problems.slice(0, 5),
      ],
    };
  } finally {
    await Promise.all(writers.map((writer) => killHard(writer)));
    await chroma?.stop();
  }
}
