// One process using a file episode journal, for the journal's multi-process tests
// (episode-journal-lock.int.test.ts). Input: one JSON argument. Output: JSON lines.
//   { opened, pid } once the journal is open, or { refused, code, message, holder } when it is not;
//   { acked: id } after each append resolves, { done: id } after each mark; { finished } at the end.
// With `waitForGo` it reads one line from stdin between opening and writing, so two
// processes can be made to write at the same time.
import { createInterface } from "node:readline";
import { EpisodeSchema, LessonloopError } from "@lessonloop/core";
import { z } from "zod";
import { createFileEpisodeJournal } from "../episode-journal.js";
import { failedInvoiceEpisode } from "./invoice-world.js";

const InputSchema = z
  .object({
    path: z.string().min(1),
    /** Episode ids are `<prefix>-<n>`. */
    prefix: z.string().min(1),
    episodes: z.number().int().min(0),
    /** Mark each episode done right after appending it. */
    complete: z.boolean().default(false),
    compactEvery: z.number().int().positive().default(500),
    waitForGo: z.boolean().default(false),
    /** Stay alive when done (until killed), holding the journal. */
    hold: z.boolean().default(false),
  })
  .strict();

const send = (message: unknown): void => void process.stdout.write(`${JSON.stringify(message)}\n`);

const input = InputSchema.parse(JSON.parse(process.argv[2] ?? "{}"));
let journal: ReturnType<typeof createFileEpisodeJournal>;
try {
  journal = createFileEpisodeJournal({ path: input.path, compactEvery: input.compactEvery });
} catch (error) {
  if (!LessonloopError.isInstance(error)) throw error;
  send({ refused: true, code: error.code, message: error.message, holder: error.details["holder"] });
  process.exit(0);
}
send({ opened: true, pid: process.pid });

if (input.waitForGo) {
  const lines = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => lines.once("line", () => resolve()));
  lines.close();
}

for (let index = 0; index < input.episodes; index++) {
  const id = `${input.prefix}-${index}`;
  await journal.append([EpisodeSchema.parse(failedInvoiceEpisode(id))]);
  send({ acked: id });
  if (input.complete) {
    await journal.markDone([id]);
    send({ done: id });
  }
}
send({ finished: true, pending: (await journal.pending()).map((episode) => episode.id) });
if (input.hold) setInterval(() => undefined, 60_000);
