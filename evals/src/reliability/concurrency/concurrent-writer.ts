// A writer process of the concurrency scenario: waits for the go signal, then commits
// its lessons one after the other on the shared memory, timing each commit.
import { existsSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { ChromaLessonMemory } from "@lessonloop/chroma";
import { LessonSchema, createLexicalEmbedder } from "@lessonloop/core";
import { parseWith } from "@lessonloop/core/internal";
import { mergeLesson } from "@lessonloop/snapshot-checkpointer";
import { sendToParent } from "../faults/child-process.js";
import { writerLesson } from "../faults/commit-writer-protocol.js";
import { ConcurrentWriterInputSchema, concurrentLessonId, type ConcurrentWriterMessage } from "./concurrent-writer-protocol.js";

const send = (message: ConcurrentWriterMessage) => sendToParent(message);
/** Shared lessons must be the same lesson in every writer, down to their timestamps. */
const FIXED_TIME = "2026-01-01T00:00:00.000Z";

async function main(): Promise<void> {
  const input = parseWith(ConcurrentWriterInputSchema, JSON.parse(process.argv[2] ?? "null"), "concurrent writer input");
  const memory = await ChromaLessonMemory.open({ url: input.url, name: input.name, embedder: createLexicalEmbedder() });
  await memory.headVersion();
  send({ type: "ready" });
  while (!existsSync(input.goFile)) await new Promise((resolve) => setTimeout(resolve, 5));
  for (let index = 0; index < input.commits; index++) {
    const id = concurrentLessonId(input.writer, index, input.sharedEvery);
    const lesson = LessonSchema.parse(writerLesson(id, id.startsWith("shared") ? "shared" : `writer-${input.writer}`, [], FIXED_TIME));
    const started = performance.now();
    try {
      // The learning loop's own merge path: a lesson another writer merged first, with the same content, is `already_merged`.
      const { snapshot } = await mergeLesson(memory, { lesson, reason: `commit ${index}`, author: `writer-${input.writer}` });
      send({ type: "ack", version: snapshot.version, added: snapshot.change.added, ms: performance.now() - started });
    } catch (error) {
      send({ type: "error", message: String(error).slice(0, 300) });
    }
  }
  send({ type: "done", ...memory.writeStats });
}

await main();
process.exit(0);
