import { writeFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { startChroma } from "@lessonloop/chroma";
import { LessonloopError } from "@lessonloop/core";
import { createFileEpisodeJournal } from "lessonloop";
import { z } from "zod";
import type { ScenarioReport } from "../scenario-report.js";
import { killHard, loadAverage, spawnScript, type ScriptProcess } from "./child-process.js";

export interface SingleOwnerParams {
  /** Rounds of two processes started on one journal at once. Default 5. */
  rounds?: number;
  /** Episodes each of the two writes per round. Default 200. */
  episodes?: number;
}

const MessageSchema = z.object({
  opened: z.boolean().optional(),
  pid: z.number().optional(),
  serverPid: z.number().nullable().optional(),
  refused: z.boolean().optional(),
  code: z.string().optional(),
  holderPid: z.number().nullable().optional(),
  acked: z.string().optional(),
  done: z.string().optional(),
  finished: z.boolean().optional(),
});
type Message = z.infer<typeof MessageSchema>;

const SCRIPT = "faults/single-owner-process.ts";
const start = (input: Record<string, unknown>) => spawnScript({ script: SCRIPT, input, messageSchema: MessageSchema });
const openedOrRefused = (script: ScriptProcess<Message>) => script.waitFor((message) => message.opened === true || message.refused === true);
const ids = (script: ScriptProcess<Message>, key: "acked" | "done") => script.messages.flatMap((message) => (message[key] === undefined ? [] : [message[key]]));

async function pendingIds(path: string): Promise<Set<string>> {
  const journal = createFileEpisodeJournal({ path });
  try {
    return new Set((await journal.pending()).map((episode) => episode.id));
  } finally {
    await journal.close();
  }
}

/**
 * One owner per journal and per Chroma data folder (issue 20, items 1 and 3), with
 * real processes. Each round starts two processes on one journal — one appending
 * and completing its episodes with compaction every 5 marks, one only appending —
 * lets them write at once, and counts acknowledged episodes that are neither done
 * nor pending. Then a holder with pending episodes is killed with SIGKILL and a new
 * opener must take the journal over with all of them; and a second embedded
 * server on a data folder held by another process must be refused, and take the
 * folder over once that process is killed.
 */
export async function runSingleOwnerScenario({ rounds = 5, episodes = 200 }: SingleOwnerParams = {}): Promise<ScenarioReport> {
  const folder = await mkdtemp(join(tmpdir(), "lessonloop-single-owner-"));
  const figures: Record<string, number> = { rounds, episodesPerWriter: episodes };
  const notes: string[] = [];
  try {
    let refused = 0;
    let namedHolder = 0;
    let acknowledged = 0;
    let lost = 0;
    for (let round = 0; round < rounds; round++) {
      const path = join(folder, `round-${round}.jsonl`);
      const goFile = join(folder, `round-${round}.go`);
      const completing = start({ kind: "journal", path, prefix: "a", episodes, complete: episodes, compactEvery: 5, goFile, hold: false });
      await openedOrRefused(completing);
      const appending = start({ kind: "journal", path, prefix: "b", episodes, complete: 0, compactEvery: 500, goFile, hold: false });
      const second = await openedOrRefused(appending);
      await writeFile(goFile, "");
      await Promise.all([completing.exited, appending.exited]);
      if (second.refused === true && second.code === "locked") refused++;
      if (second.holderPid === completing.pid) namedHolder++;
      const pending = await pendingIds(path);
      const finished = new Set([...ids(completing, "done"), ...ids(appending, "done")]);
      const acked = [...ids(completing, "acked"), ...ids(appending, "acked")];
      acknowledged += acked.length;
      lost += acked.filter((id) => !finished.has(id) && !pending.has(id)).length;
    }
    Object.assign(figures, { secondOpenersRefused: refused, refusalsNamingHolder: namedHolder, episodesAcknowledged: acknowledged, episodesLost: lost });

    // A holder killed with SIGKILL, with episodes pending.
    const path = join(folder, "killed.jsonl");
    const holder = start({ kind: "journal", path, prefix: "k", episodes: 50, complete: 20, compactEvery: 500, hold: true });
    await holder.waitFor((message) => message.finished === true);
    await killHard(holder);
    const takeoverStarted = performance.now();
    const pending = await pendingIds(path);
    figures["takeoverAfterSigkillMs"] = Math.round(performance.now() - takeoverStarted);
    const done = new Set(ids(holder, "done"));
    figures["pendingAfterSigkill"] = pending.size;
    figures["lostAfterSigkill"] = ids(holder, "acked").filter((id) => !done.has(id) && !pending.has(id)).length;

    // A data folder held by another process's embedded server.
    const data = join(folder, "chroma-data");
    const server = start({ kind: "chroma", path: data });
    await server.waitFor((message) => message.opened === true);
    const second = await startChroma({ path: data }).then(
      async (started) => {
        await started.stop();
        return undefined;
      },
      (error: unknown) => error,
    );
    figures["secondServerRefused"] = LessonloopError.isInstance(second, "locked") && (second.details["holder"] as { pid?: number }).pid === server.pid ? 1 : 0;
    await killHard(server);
    const restartStarted = performance.now();
    const next = await startChroma({ path: data });
    figures["serverTakeoverAfterSigkillMs"] = Math.round(performance.now() - restartStarted);
    await next.stop();

    notes.push(
      `${rounds} rounds of two processes on one journal, ${episodes} episodes each, writing at once (the issue's run without a lock: 21 of 200 lost; this repo's test with the lock disabled: 83 and 117 of 200).`,
      "After SIGKILL the journal is reopened at once (the dead pid's lock is stale); a Chroma folder waits for the killed holder's server to be stopped by its watchdog.",
      `load ${await loadAverage()}`,
    );
    const passed =
      refused === rounds &&
      namedHolder === rounds &&
      lost === 0 &&
      figures["lostAfterSigkill"] === 0 &&
      figures["pendingAfterSigkill"] === 30 &&
      figures["secondServerRefused"] === 1;
    return { name: "single-owner", figures, passed, notes };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
