import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { EpisodeSchema, type Episode } from "@lessonloop/core";
import { percentile } from "@lessonloop/core/testing";
import { createFileEpisodeJournal } from "lessonloop";
import type { ScenarioReport } from "../scenario-report.js";
import { loadAverage } from "./child-process.js";

export interface WalCostParams {
  /** Episodes written and marked done, per mode. Default 1 000. */
  episodes?: number;
}

/** An episode of a typical size: a task, four trajectory steps, a tool error. */
function sampleEpisode(index: number): Episode {
  const task = `Create an invoice for customer ${index} of ${index}.50 EUR`;
  return EpisodeSchema.parse({
    id: `wal-${index}`,
    input: task,
    trajectory: [
      { type: "message", role: "user", content: task },
      { type: "tool_call", id: `c${index}`, name: "create_invoice", args: { customer: `customer-${index}`, amount: index + 0.5 } },
      { type: "tool_result", callId: `c${index}`, name: "create_invoice", content: "Error: send amount_cents", isError: true },
      { type: "message", role: "assistant", content: "I could not create the invoice." },
    ],
    outcome: { status: "unknown", signal: { source: "none", detail: "" } },
    scope: { tenant: "acme", agent: "billing" },
    memoryVersion: 3,
    startedAt: "2026-01-01T00:00:00.000Z",
  });
}

const micros = (ms: number) => Math.round(ms * 1_000);

/**
 * What a fresh journal on the file finds pending. One journal owns a file, so a
 * second one in this process stands in for a restarted process only through a
 * copy of the file.
 */
async function reopenedPending(path: string): Promise<Episode[]> {
  const copy = `${path}.reopened`;
  await copyFile(path, copy);
  const reopened = createFileEpisodeJournal({ path: copy });
  try {
    return await reopened.pending();
  } finally {
    await reopened.close();
    await rm(copy, { force: true });
  }
}

/**
 * What the write-ahead journal costs per background episode: one append before
 * `enqueue` resolves and one "done" mark once it is learned, timed one episode
 * at a time (as the queue does), without and with `fsync`. A fresh journal on
 * the same file must then find every acknowledged episode, and none once done.
 */
export async function runWalCostScenario({ episodes = 1_000 }: WalCostParams = {}): Promise<ScenarioReport> {
  const folder = await mkdtemp(join(tmpdir(), "lessonloop-wal-"));
  try {
    const figures: Record<string, number> = { episodes };
    let recovered = -1;
    let recoveredAfterDone = -1;
    for (const fsync of [false, true]) {
      const path = join(folder, `journal-${String(fsync)}.jsonl`);
      const journal = createFileEpisodeJournal({ path, fsync });
      const samples = Array.from({ length: episodes }, (_, index) => sampleEpisode(index));
      const appends: number[] = [];
      for (const episode of samples) {
        const started = performance.now();
        await journal.append([episode]);
        appends.push(performance.now() - started);
      }
      const pendingIds = (await reopenedPending(path)).map((episode) => episode.id);
      if (!fsync) recovered = new Set(pendingIds).size === episodes && pendingIds.every((id, index) => id === `wal-${index}`) ? episodes : pendingIds.length;
      const marks: number[] = [];
      for (const episode of samples) {
        const started = performance.now();
        await journal.markDone([episode.id]);
        marks.push(performance.now() - started);
      }
      await journal.close();
      if (!fsync) recoveredAfterDone = (await reopenedPending(path)).length;
      const mode = fsync ? "Fsync" : "";
      figures[`appendP50Us${mode}`] = micros(percentile(appends, 50));
      figures[`appendP99Us${mode}`] = micros(percentile(appends, 99));
      figures[`markDoneP50Us${mode}`] = micros(percentile(marks, 50));
      figures[`markDoneP99Us${mode}`] = micros(percentile(marks, 99));
      figures[`perEpisodeMeanUs${mode}`] = micros((appends.reduce((a, b) => a + b, 0) + marks.reduce((a, b) => a + b, 0)) / episodes);
    }
    figures["episodesRecovered"] = recovered;
    figures["episodesRecoveredAfterDone"] = recoveredAfterDone;
    return {
      name: "episode-journal-cost",
      figures,
      passed: recovered === episodes && recoveredAfterDone === 0,
      notes: [
        `One append (before enqueue resolves) and one done mark (after learning) per episode, one at a time, ${episodes} episodes of ~${JSON.stringify(sampleEpisode(0)).length} bytes; compaction every 500 marks included. Without fsync a write survives the process being killed, with fsync also a power loss.`,
        `tmpdir ${tmpdir()}, load ${await loadAverage()}`,
      ],
    };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
