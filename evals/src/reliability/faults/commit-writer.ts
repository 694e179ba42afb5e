// A writer process for the SIGKILL scenario: commits and rolls back on one memory
// without end, announcing each write before it starts and after it is acknowledged,
// until the parent kills it.
import { ChromaLessonMemory } from "@lessonloop/chroma";
import { LessonloopError, createLexicalEmbedder } from "@lessonloop/core";
import { parseWith } from "@lessonloop/core/internal";
import { createSeededRandom } from "@lessonloop/core/testing";
import { sendToParent } from "./child-process.js";
import { CommitWriterInputSchema, writerLesson, type CommitWriterMessage } from "./commit-writer-protocol.js";

async function main(): Promise<void> {
  const input = parseWith(CommitWriterInputSchema, JSON.parse(process.argv[2] ?? "null"), "commit writer input");
  const random = createSeededRandom(input.seed);
  const memory = await ChromaLessonMemory.open({ url: input.url, name: input.name, embedder: createLexicalEmbedder() });
  let head = await memory.headVersion();
  sendToParent({ type: "ready", head } satisfies CommitWriterMessage);
  const mine: string[] = [];
  for (let counter = 0; ; counter++) {
    const rollback = head >= 2 && random.chance(input.rollbackShare);
    sendToParent({ type: "begin", kind: rollback ? "rollback" : "commit" } satisfies CommitWriterMessage);
    try {
      if (rollback) {
        const snapshot = await memory.rollback({ to: random.int(0, head - 1), reason: "undo", author: input.prefix });
        head = snapshot.version;
        sendToParent({ type: "ack", kind: "rollback", version: snapshot.version, added: snapshot.change.added } satisfies CommitWriterMessage);
      } else {
        const size = random.int(1, input.maxLessonsPerCommit);
        const superseded = mine.length > 0 && random.chance(0.3) ? [random.pick(mine)] : [];
        const lessons = Array.from({ length: size }, (_, index) => writerLesson(`${input.prefix}-${counter}-${index}`, input.prefix, index === 0 ? superseded : []));
        const snapshot = await memory.commit({ add: lessons, reason: `write ${counter}`, author: input.prefix });
        head = snapshot.version;
        mine.push(...snapshot.change.added);
        sendToParent({ type: "ack", kind: "commit", version: snapshot.version, added: snapshot.change.added } satisfies CommitWriterMessage);
      }
    } catch (error) {
      // A legitimate refusal (superseding a lesson a rollback undid): memory is unchanged, go on.
      if (!LessonloopError.isInstance(error) || (error.code !== "not_found" && error.code !== "conflict")) throw error;
      sendToParent({ type: "refused", code: error.code } satisfies CommitWriterMessage);
      head = await memory.headVersion();
    }
  }
}

await main();
