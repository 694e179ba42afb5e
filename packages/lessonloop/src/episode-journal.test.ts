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
