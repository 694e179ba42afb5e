// A process that owns an episode journal or a Chroma data folder, for the single-owner
// scenario (single-owner.ts). One JSON argument; JSON lines out (sendToParent):
//   { opened: true, pid } | { refused: true, code, holderPid }, then { acked: id } / { done: id } per
//   episode, { finished: true }; for Chroma { opened: true, pid, serverPid }.
// With `goFile` it waits, between opening and writing, until that file exists.
import { existsSync } from "node:fs";
import { startChroma } from "@lessonloop/chroma";
import { EpisodeSchema, LessonloopError } from "@lessonloop/core";
import { createFileEpisodeJournal } from "lessonloop";
import { z } from "zod";
import { sendToParent } from "./child-process.js";

const InputSchema = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("journal"),
      path: z.string().min(1),
      prefix: z.string().min(1),
      episodes: z.number().int().min(0),
      /** Mark this many of the first episodes done, each right after it is appended. */
      complete: z.number().int().min(0),
      compactEvery: z.number().int().positive(),
      goFile: z.string().min(1).optional(),
      hold: z.boolean(),
    })
    .strict(),
  z.object({ kind: z.literal("chroma"), path: z.string().min(1) }).strict(),
]);

function refusal(error: unknown): never {
  if (!LessonloopError.isInstance(error)) throw error;
  const holder = error.details["holder"] as { pid?: number } | undefined;
  sendToParent({ refused: true, code: error.code, holderPid: holder?.pid ?? null });
  process.exit(0);
}

const input = InputSchema.parse(JSON.parse(process.argv[2] ?? "{}"));
if (input.kind === "chroma") {
  const server = await startChroma({ path: input.path }).catch(refusal);
  sendToParent({ opened: true, pid: process.pid, serverPid: server.pid ?? null });
  setInterval(() => undefined, 60_000);
} else {
  let journal: ReturnType<typeof createFileEpisodeJournal>;
  try {
    journal = createFileEpisodeJournal({ path: input.path, compactEvery: input.compactEvery });
  } catch (error) {
    refusal(error);
  }
  sendToParent({ opened: true, pid: process.pid });
  const goFile = input.goFile;
  if (goFile !== undefined) while (!existsSync(goFile)) await new Promise((resolve) => setTimeout(resolve, 5));
  for (let index = 0; index < input.episodes; index++) {
    const id = `${input.prefix}-${index}`;
    await journal.append([
      EpisodeSchema.parse({
        id,
        input: `task ${index}`,
        trajectory: [{ type: "message", role: "user", content: `task ${index}` }],
        outcome: { status: "unknown", signal: { source: "none", detail: "" } },
        scope: { tenant: "acme" },
        memoryVersion: 0,
        startedAt: "2026-01-01T00:00:00.000Z",
      }),
    ]);
    sendToParent({ acked: id });
    if (index < input.complete) {
      await journal.markDone([id]);
      sendToParent({ done: id });
    }
  }
  sendToParent({ finished: true });
  if (input.hold) setInterval(() => undefined, 60_000);
}
