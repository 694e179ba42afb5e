import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeEpisodeQueueConformance } from "@lessonloop/core/conformance";
import { afterAll } from "vitest";
import { createFileEpisodeJournal } from "./episode-journal.js";

const folders: string[] = [];
const pathOf = new WeakMap<object, string>();

afterAll(async () => {
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});

describeEpisodeQueueConformance({
  name: "file episode journal",
  retryWithinMs: 2_000,
  async createQueue() {
    const folder = await mkdtemp(join(tmpdir(), "lessonloop-journal-queue-"));
    folders.push(folder);
    const path = join(folder, "episodes.jsonl");
    const journal = createFileEpisodeJournal({ path, retryDelayMs: 50 });
    pathOf.set(journal, path);
    return journal;
  },
  // As a new process would: the closed journal's lock is released, its leases gone with it.
  async reopen(queue) {
    await queue.close();
    return createFileEpisodeJournal({ path: pathOf.get(queue) as string, retryDelayMs: 50 });
  },
});
