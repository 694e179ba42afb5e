import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EpisodeSchema } from "@lessonloop/core";
import { afterEach, describe, expect, it } from "vitest";
import { createFileEpisodeJournal } from "./episode-journal.js";
import { failedInvoiceEpisode } from "./tests/invoice-world.js";

const folders: string[] = [];
afterEach(async () => {
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
});

async function journalPath(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), "lessonloop-journal-"));
  folders.push(folder);
  return join(folder, "nested", "episodes.jsonl");
}

describe("createFileEpisodeJournal", () => {
  it("keeps appended episodes across journal instances until takeAll empties it", async () => {
    const path = await journalPath();
    await createFileEpisodeJournal({ path }).append([EpisodeSchema.parse(failedInvoiceEpisode("e1")), EpisodeSchema.parse(failedInvoiceEpisode("e2"))]);
    await createFileEpisodeJournal({ path }).append([EpisodeSchema.parse(failedInvoiceEpisode("e3"))]);

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

describe("createFileEpisodeJournal as a write-ahead log", () => {
  const e = (id: string) => EpisodeSchema.parse(failedInvoiceEpisode(id));

  it("keeps episodes pending until marked done, across instances (a restarted process)", async () => {
    const path = await journalPath();
    const journal = createFileEpisodeJournal({ path });
    await journal.append([e("e1"), e("e2"), e("e3")]);
    await journal.markDone(["e2"]);
    expect((await createFileEpisodeJournal({ path }).pending()).map((episode) => episode.id)).toEqual(["e1", "e3"]);
    // pending() leaves them in place; a second read sees the same.
    expect((await journal.pending()).map((episode) => episode.id)).toEqual(["e1", "e3"]);
    await journal.markDone(["e1", "e3"]);
    expect(await createFileEpisodeJournal({ path }).pending()).toEqual([]);
  });

  it("compacts the file to the pending episodes every compactEvery marks", async () => {
    const path = await journalPath();
    const journal = createFileEpisodeJournal({ path, compactEvery: 3 });
    await journal.append(["a", "b", "c", "d"].map(e));
    for (const id of ["a", "b", "c"]) await journal.markDone([id]);
    const lines = (await readFile(path, "utf8")).trim().split("\n");
    expect(lines.map((line) => (JSON.parse(line) as { id: string }).id)).toEqual(["d"]);
    expect((await journal.pending()).map((episode) => episode.id)).toEqual(["d"]);
  });

  it("ends a line torn by a crash before appending, so the next episode is not swallowed", async () => {
    const path = await journalPath();
    await createFileEpisodeJournal({ path }).append([e("e1")]);
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
    expect((await createFileEpisodeJournal({ path }).pending()).map((episode) => episode.id)).toEqual(["e2"]);
  });
});
