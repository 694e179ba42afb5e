import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EpisodeSchema, LessonloopError } from "@lessonloop/core";
import { rejectionOf } from "@lessonloop/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { createFileEpisodeJournal, JOURNAL_FORMAT, type FileEpisodeJournalParams } from "./episode-journal.js";
import { failedInvoiceEpisode } from "./tests/invoice-world.js";

const folders: string[] = [];
afterEach(async () => {
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
});

/** Opens a journal, runs `use` on it and closes it: one journal owns the file at a time. */
async function withJournal<T>(params: FileEpisodeJournalParams, use: (journal: ReturnType<typeof createFileEpisodeJournal>) => Promise<T>): Promise<T> {
  const journal = createFileEpisodeJournal(params);
  try {
    return await use(journal);
  } finally {
    await journal.close();
  }
}

async function journalPath(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), "lessonloop-journal-"));
  folders.push(folder);
  return join(folder, "nested", "episodes.jsonl");
}

describe("createFileEpisodeJournal", () => {
  it("keeps appended episodes across journal instances until takeAll empties it", async () => {
    const path = await journalPath();
    await withJournal({ path }, (journal) => journal.append([EpisodeSchema.parse(failedInvoiceEpisode("e1")), EpisodeSchema.parse(failedInvoiceEpisode("e2"))]));
    await withJournal({ path }, (journal) => journal.append([EpisodeSchema.parse(failedInvoiceEpisode("e3"))]));

    const reopened = createFileEpisodeJournal({ path });
    const taken = await reopened.takeAll();
    expect(taken.map((episode) => episode.id)).toEqual(["e1", "e2", "e3"]);
    expect(taken[0]).toEqual(EpisodeSchema.parse(failedInvoiceEpisode("e1")));
    expect(await reopened.takeAll()).toEqual([]);
  });

  it("skips a line that is not an episode and keeps it aside in <path>.corrupt", async () => {
    const path = await journalPath();
    const journal = createFileEpisodeJournal({ path, onCorruptLine: () => undefined });
    await journal.append([EpisodeSchema.parse(failedInvoiceEpisode("e1"))]);
    await writeFile(path, `${await readFile(path, "utf8")}{"id":"torn",\n`, "utf8");
    expect((await journal.takeAll()).map((episode) => episode.id)).toEqual(["e1"]);
    expect(await readFile(`${path}.corrupt`, "utf8")).toBe('{"id":"torn",\n');
  });
});

describe("createFileEpisodeJournal ownership", () => {
  it("refuses a second journal on the same file in the same process until the first is closed", async () => {
    const path = await journalPath();
    const first = createFileEpisodeJournal({ path });
    await first.append([EpisodeSchema.parse(failedInvoiceEpisode("e1"))]);
    let refusal: unknown;
    try {
      createFileEpisodeJournal({ path });
    } catch (error) {
      refusal = error;
    }
    expect(LessonloopError.isInstance(refusal, "locked")).toBe(true);
    expect((refusal as Error).message).toContain(`process ${process.pid} (this process)`);
    await first.close();
    const closedUse = await rejectionOf(first.append([EpisodeSchema.parse(failedInvoiceEpisode("e2"))]));
    expect((closedUse as Error).message).toContain("was closed");
    expect((await withJournal({ path }, (journal) => journal.pending())).map((episode) => episode.id)).toEqual(["e1"]);
  });
});

describe("createFileEpisodeJournal as a write-ahead log", () => {
  const e = (id: string) => EpisodeSchema.parse(failedInvoiceEpisode(id));

  it("keeps episodes pending until marked done, across instances (a restarted process)", async () => {
    const path = await journalPath();
    const journal = createFileEpisodeJournal({ path });
    await journal.append([e("e1"), e("e2"), e("e3")]);
    await journal.markDone(["e2"]);
    await journal.close();
    const restarted = createFileEpisodeJournal({ path });
    expect((await restarted.pending()).map((episode) => episode.id)).toEqual(["e1", "e3"]);
    // pending() leaves them in place; a second read sees the same.
    expect((await restarted.pending()).map((episode) => episode.id)).toEqual(["e1", "e3"]);
    await restarted.markDone(["e1", "e3"]);
    await restarted.close();
    expect(await withJournal({ path }, (journal) => journal.pending())).toEqual([]);
  });

  it("compacts the file to the pending episodes every compactEvery marks", async () => {
    const path = await journalPath();
    const journal = createFileEpisodeJournal({ path, compactEvery: 3 });
    await journal.append(["a", "b", "c", "d"].map(e));
    for (const id of ["a", "b", "c"]) await journal.markDone([id]);
    const lines = (await readFile(path, "utf8")).trim().split("\n");
    expect(lines.map((line) => (JSON.parse(line) as { record: { id: string } }).record.id)).toEqual(["d"]);
    expect((await journal.pending()).map((episode) => episode.id)).toEqual(["d"]);
  });

  it("ends a line torn by a crash before appending, so the next episode is not swallowed", async () => {
    const path = await journalPath();
    await withJournal({ path }, (journal) => journal.append([e("e1")]));
    const whole = await readFile(path, "utf8");
    await writeFile(path, `${whole}${JSON.stringify(e("torn")).slice(0, 40)}`, "utf8");
    const reopened = createFileEpisodeJournal({ path, onCorruptLine: () => undefined });
    await reopened.append([e("e2")]);
    expect((await reopened.pending()).map((episode) => episode.id)).toEqual(["e1", "e2"]);
  });

  it("flushes to the disk when asked (fsync) and reads back the same", async () => {
    const path = await journalPath();
    const journal = createFileEpisodeJournal({ path, fsync: true, compactEvery: 1 });
    await journal.append([e("e1"), e("e2")]);
    await journal.markDone(["e1"]);
    await journal.close();
    expect((await withJournal({ path }, (reopened) => reopened.pending())).map((episode) => episode.id)).toEqual(["e2"]);
  });
});

describe("createFileEpisodeJournal line format", () => {
  const e = (id: string) => EpisodeSchema.parse(failedInvoiceEpisode(id));
  const FORMAT_0_FIXTURE = new URL("./tests/fixtures/episode-journal-format-0.jsonl", import.meta.url);

  it("writes each line in the current format's envelope", async () => {
    const path = await journalPath();
    await withJournal({ path }, async (journal) => {
      await journal.append([e("e1")]);
      await journal.markDone(["e1"]);
    });
    const lines = (await readFile(path, "utf8")).trim().split("\n").map((line) => JSON.parse(line) as unknown);
    expect(lines).toEqual([
      { format: JOURNAL_FORMAT, record: JSON.parse(JSON.stringify(e("e1"))) },
      { format: JOURNAL_FORMAT, record: { done: ["e1"] } },
    ]);
  });

  it("reads a journal written before lines carried a format (a stored fixture), and keeps using it", async () => {
    const path = await journalPath();
    await mkdir(join(path, ".."), { recursive: true });
    await copyFile(FORMAT_0_FIXTURE, path);
    const lines = (await readFile(FORMAT_0_FIXTURE, "utf8")).trim().split("\n");
    const stored = lines.slice(0, 3).map((line) => EpisodeSchema.parse(JSON.parse(line)));
    await withJournal({ path }, async (journal) => {
      // journal-e2 was marked done in that file.
      expect(await journal.pending()).toEqual([stored[0], stored[2]]);
      expect(stored[2]?.servedLessons).toEqual(["lesson-1"]);
      await journal.append([e("e4")]);
      await journal.markDone(["journal-e1"]);
    });
    expect((await withJournal({ path }, (journal) => journal.pending())).map((episode) => episode.id)).toEqual(["journal-e3", "e4"]);
  });

  it("accepts fields it does not know in a line of its own format, and drops them", async () => {
    const path = await journalPath();
    const known = JSON.parse(JSON.stringify(e("e1"))) as Record<string, unknown> & { trajectory: Record<string, unknown>[]; scope: Record<string, unknown> };
    const newer = { ...known, priority: "high", trajectory: known.trajectory.map((step) => ({ ...step, tokens: 12 })), scope: { ...known.scope, region: "eu" } };
    await mkdir(join(path, ".."), { recursive: true });
    await writeFile(path, `${JSON.stringify({ format: JOURNAL_FORMAT, record: newer, checksum: "abc" })}\n${JSON.stringify({ format: JOURNAL_FORMAT, record: { done: [], by: "worker-2" } })}\n`);
    const corrupt: string[] = [];
    const pending = await withJournal({ path, onCorruptLine: (line) => corrupt.push(line) }, (journal) => journal.pending());
    expect(pending).toEqual([e("e1")]);
    expect(corrupt).toEqual([]);
  });

  it("still sets aside a line of its own format whose known fields are wrong", async () => {
    const path = await journalPath();
    await mkdir(join(path, ".."), { recursive: true });
    const bad = JSON.stringify({ format: JOURNAL_FORMAT, record: { ...JSON.parse(JSON.stringify(e("e1"))), memoryVersion: "three", extra: 1 } });
    await writeFile(path, `${bad}\n`);
    const corrupt: string[] = [];
    expect(await withJournal({ path, onCorruptLine: (line) => corrupt.push(line) }, (journal) => journal.pending())).toEqual([]);
    expect(corrupt).toEqual([bad]);
  });

  it("refuses a line of a newer format with a typed error that says to upgrade, and leaves the file as it is", async () => {
    const path = await journalPath();
    await mkdir(join(path, ".."), { recursive: true });
    const text = `${JSON.stringify({ format: JOURNAL_FORMAT, record: e("e1") })}\n${JSON.stringify({ format: JOURNAL_FORMAT + 1, record: { id: "e2", shape: "new" } })}\n`;
    await writeFile(path, text);
    const corrupt: string[] = [];
    const error = await withJournal({ path, onCorruptLine: (line) => corrupt.push(line) }, (journal) => rejectionOf(journal.pending()));
    expect(LessonloopError.isInstance(error, "corrupt_store")).toBe(true);
    expect((error as Error).message).toMatch(/format 2.*Upgrade lessonloop/);
    expect((error as LessonloopError).details).toMatchObject({ format: 2, readable: JOURNAL_FORMAT });
    expect(await readFile(path, "utf8")).toBe(text);
    expect(corrupt).toEqual([]);
  });
});
