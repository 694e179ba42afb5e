import { END, START, StateGraph } from "@langchain/langgraph";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemorySaver, type BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { InMemoryLessonMemory, LessonloopError, createLexicalEmbedder, type MemoryPin } from "@lessonloop/core";
import { MEMORY_PIN_KEY, MEMORY_VERSION_METADATA_KEY } from "@lessonloop/core/internal";
import { lessonFixture } from "@lessonloop/core/conformance";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SnapshotCheckpointer, type SnapshotCheckpointerWarning } from "./snapshot-checkpointer.js";
import { State, pinnedGraph, type StateValue } from "./tests/pinned-graph.js";

const embedder = createLexicalEmbedder();

/** A memory at version 1: one lesson. */
async function memoryAtVersion1(): Promise<InMemoryLessonMemory> {
  const memory = new InMemoryLessonMemory({ embedder });
  await memory.commit({ add: [lessonFixture("refund-in-cents")], reason: "seed", author: "tester" });
  return memory;
}


/** The same user's graph without lessonloop in it: nothing pins a version. */
function plainGraph(checkpointer: BaseCheckpointSaver) {
  return new StateGraph(State)
    .addNode("agent", (state: StateValue) => ({ answer: `answered ${state.question}` }))
    .addEdge(START, "agent")
    .addEdge("agent", END)
    .compile({ checkpointer });
}

const thread = (id: string) => ({ configurable: { thread_id: id } });

/** Raw metadata as the wrapped saver stored it, newest first. */
async function storedVersions(saver: BaseCheckpointSaver, threadId: string): Promise<unknown[]> {
  const versions: unknown[] = [];
  for await (const tuple of saver.list(thread(threadId))) versions.push((tuple.metadata as Record<string, unknown> | undefined)?.[MEMORY_VERSION_METADATA_KEY]);
  return versions;
}

/** A thread's oldest checkpoint. */
async function lastOf(saver: BaseCheckpointSaver, threadId: string) {
  let oldest;
  for await (const tuple of saver.list(thread(threadId))) oldest = tuple;
  if (oldest === undefined) throw new Error(`thread ${threadId} has no checkpoint`);
  return oldest;
}

let folder = "";
let databases = 0;
beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), "lessonloop-snapshot-checkpointer-"));
});
afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

interface SaverCase {
  name: string;
  /** A fresh saver; `reopen` gives a second saver on the same storage, as a restarted process would. */
  create(): { saver: BaseCheckpointSaver; reopen?: () => BaseCheckpointSaver };
}

const savers: SaverCase[] = [
  { name: "MemorySaver", create: () => ({ saver: new MemorySaver() }) },
  {
    name: "SqliteSaver (file)",
    create() {
      databases += 1;
      const file = join(folder, `graph-${databases}.db`);
      return { saver: SqliteSaver.fromConnString(file), reopen: () => SqliteSaver.fromConnString(file) };
    },
  },
];

describe.each(savers)("SnapshotCheckpointer around $name, in a StateGraph", ({ create }) => {
  it("records in every checkpoint's metadata the memory version the step ran against", async () => {
    const memory = await memoryAtVersion1();
    const { saver } = create();
    const graph = pinnedGraph(memory, new SnapshotCheckpointer({ saver, memory }));

    const result = await graph.invoke({ question: "refund" }, thread("t1"));

    expect(result.answer).toBe("refund with refund-in-cents");
    // Before the input (step -1), with the input (0), after retrieve (1), after agent (2): all at version 1.
    expect(await storedVersions(saver, "t1")).toEqual([1, 1, 1, 1]);
  });

  it("keeps reporting the old version for a thread's checkpoints after the memory advances", async () => {
    const memory = await memoryAtVersion1();
    const { saver } = create();
    const checkpointer = new SnapshotCheckpointer({ saver, memory });
    const graph = pinnedGraph(memory, checkpointer);
    await graph.invoke({ question: "refund" }, thread("old"));

    await memory.commit({ add: [lessonFixture("ask-for-order-id")], reason: "learned", author: "tester" });
    expect(await memory.headVersion()).toBe(2);

    const history = [];
    for await (const snapshot of graph.getStateHistory(thread("old"))) history.push(snapshot);
    expect(history).toHaveLength(4);
    for (const snapshot of history) expect(await checkpointer.memoryVersionOf(snapshot.config)).toBe(1);
    expect(await checkpointer.memoryVersionOf(thread("old"))).toBe(1);

    // A new thread runs on, and records, the live version.
    const fresh = await graph.invoke({ question: "refund" }, thread("new"));
    expect(fresh.answer).toBe("refund with ask-for-order-id,refund-in-cents");
    expect(await storedVersions(saver, "new")).toEqual([2, 2, 2, 2]);
    expect(await checkpointer.memoryVersionOf(thread("new"))).toBe(2);
  });

  it("records the version pinned in the state, not the live one", async () => {
    const memory = await memoryAtVersion1();
    const { saver } = create();
    const graph = pinnedGraph(memory, new SnapshotCheckpointer({ saver, memory }));
    await graph.invoke({ question: "refund" }, thread("pinned"));
    await memory.commit({ add: [lessonFixture("ask-for-order-id")], reason: "learned", author: "tester" });

    // The same question again on the same thread: the run stays on its pin (version 1).
    const again = await graph.invoke({ question: "refund" }, thread("pinned"));

    expect(again.answer).toBe("refund with refund-in-cents");
    expect(await storedVersions(saver, "pinned")).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    expect(await memory.headVersion()).toBe(2);
  });

  it("finds a thread's checkpoints by recorded version through the wrapped saver's list filter", async () => {
    const memory = await memoryAtVersion1();
    const { saver } = create();
    const checkpointer = new SnapshotCheckpointer({ saver, memory });
    const graph = pinnedGraph(memory, checkpointer);
    await graph.invoke({ question: "refund" }, thread("filtered"));
    await memory.commit({ add: [lessonFixture("ask-for-order-id")], reason: "learned", author: "tester" });
    await graph.invoke({ question: "shipping" }, thread("filtered"));

    const idsAt = async (version: number) => {
      const ids: string[] = [];
      for await (const tuple of checkpointer.list(thread("filtered"), { filter: { [MEMORY_VERSION_METADATA_KEY]: version } })) ids.push(tuple.checkpoint.id);
      return ids;
    };
    // Run 1: 4 checkpoints at 1. Run 2's first 2 checkpoints, taken before the retriever
    // runs, still hold run 1's pin (1); it re-pins for the new question, so the last 2 are at 2.
    expect(await idsAt(1)).toHaveLength(6);
    expect(await idsAt(2)).toHaveLength(2);
    expect(await idsAt(3)).toEqual([]);
  });

  it("returns metadata exactly as the graph wrote it, and keeps the wrapped saver's serializer", async () => {
    const memory = await memoryAtVersion1();
    const { saver } = create();
    const checkpointer = new SnapshotCheckpointer({ saver, memory });
    const graph = pinnedGraph(memory, checkpointer);
    await graph.invoke({ question: "refund" }, thread("transparent"));

    const state = await graph.getState(thread("transparent"));
    expect(state.metadata).toMatchObject({ source: "loop", step: 2 });
    expect(state.metadata).not.toHaveProperty(MEMORY_VERSION_METADATA_KEY);
    const read = await checkpointer.getTuple(thread("transparent"));
    const stored = await saver.getTuple(thread("transparent"));
    expect(read?.metadata).not.toHaveProperty(MEMORY_VERSION_METADATA_KEY);
    expect(stored?.metadata).toEqual({ ...read?.metadata, [MEMORY_VERSION_METADATA_KEY]: 1 });
    expect(checkpointer.serde).toBe(saver.serde);
  });

  it("answers memoryVersionOf for the latest or a given checkpoint, and says what is wrong otherwise", async () => {
    const memory = await memoryAtVersion1();
    const { saver, reopen } = create();
    const checkpointer = new SnapshotCheckpointer({ saver, memory });
    const graph = pinnedGraph(memory, checkpointer);
    await graph.invoke({ question: "refund" }, thread("asked"));
    await memory.commit({ add: [lessonFixture("ask-for-order-id")], reason: "learned", author: "tester" });
    await graph.invoke({ question: "shipping" }, thread("asked"));

    expect(await checkpointer.memoryVersionOf(thread("asked"))).toBe(2);
    const oldest = await lastOf(checkpointer, "asked");
    expect(await checkpointer.memoryVersionOf(oldest.config)).toBe(1);

    await expect(checkpointer.memoryVersionOf(thread("never-ran"))).rejects.toSatisfy((error) => LessonloopError.isInstance(error, "not_found"));
    await expect(checkpointer.memoryVersionOf({ configurable: {} })).rejects.toSatisfy((error) => LessonloopError.isInstance(error, "invalid_input"));

    // Durable savers keep the record across a restart.
    if (reopen !== undefined) {
      const reopened = new SnapshotCheckpointer({ saver: reopen(), memory });
      expect(await reopened.memoryVersionOf(thread("asked"))).toBe(2);
      expect(await reopened.memoryVersionOf(oldest.config)).toBe(1);
    }
  });
});

/** Real memory whose live version cannot be had: it fails, or never answers. */
class UnreachableMemory extends InMemoryLessonMemory {
  readonly #how: "fails" | "hangs";
  constructor(how: "fails" | "hangs") {
    super({ embedder });
    this.#how = how;
  }
  override headVersion(): Promise<number> {
    if (this.#how === "hangs") return new Promise<number>(() => {});
    return Promise.reject(new LessonloopError("store_unavailable", "Chroma at http://127.0.0.1:9 is unreachable"));
  }
}

describe("SnapshotCheckpointer when the memory cannot tell its version", () => {
  it("does not fail the user's graph when the memory fails: it records nothing and warns", async () => {
    const warnings: SnapshotCheckpointerWarning[] = [];
    const saver = new MemorySaver();
    const checkpointer = new SnapshotCheckpointer({ saver, memory: new UnreachableMemory("fails"), onWarning: (warning) => warnings.push(warning) });

    const result = await plainGraph(checkpointer).invoke({ question: "refund" }, thread("down"));

    expect(result.answer).toBe("answered refund");
    expect(await storedVersions(saver, "down")).toEqual([undefined, undefined, undefined]);
    expect(await checkpointer.memoryVersionOf(thread("down"))).toBeUndefined();
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toMatchObject({ source: "memory", code: "store_unavailable", effect: "recorded no memory version", threadId: "down", checkpointNs: "" });
    expect(warnings[0]?.message).toContain("unreachable");
  });

  it("does not stall the user's graph when the memory never answers", async () => {
    const warnings: SnapshotCheckpointerWarning[] = [];
    const saver = new MemorySaver();
    const checkpointer = new SnapshotCheckpointer({ saver, memory: new UnreachableMemory("hangs"), timeoutMs: 20, onWarning: (warning) => warnings.push(warning) });

    const result = await plainGraph(checkpointer).invoke({ question: "refund" }, thread("slow"));

    expect(result.answer).toBe("answered refund");
    expect(await storedVersions(saver, "slow")).toEqual([undefined, undefined, undefined]);
    expect(warnings.map((warning) => warning.code)).toEqual(["timeout", "timeout", "timeout"]);
  });

  it("needs no memory for checkpoints whose state holds a pin", async () => {
    const warnings: SnapshotCheckpointerWarning[] = [];
    const saver = new MemorySaver();
    const checkpointer = new SnapshotCheckpointer({ saver, memory: new UnreachableMemory("fails"), onWarning: (warning) => warnings.push(warning) });

    await plainGraph(checkpointer).invoke({ question: "refund", [MEMORY_PIN_KEY]: { version: 7, input: "refund" } }, thread("pinned-in-input"));

    // Only the checkpoint taken before the input (empty state) asks the memory.
    expect(await storedVersions(saver, "pinned-in-input")).toEqual([7, 7, undefined]);
    expect(warnings.map((warning) => warning.checkpointId)).toEqual([(await lastOf(checkpointer, "pinned-in-input")).checkpoint.id]);
  });

  it("records the live version, and warns, when the state's pin is malformed", async () => {
    const warnings: SnapshotCheckpointerWarning[] = [];
    const memory = await memoryAtVersion1();
    const saver = new MemorySaver();
    const checkpointer = new SnapshotCheckpointer({ saver, memory, onWarning: (warning) => warnings.push(warning) });
    const badPin = { version: -1, input: "refund" } as MemoryPin;

    await plainGraph(checkpointer).invoke({ question: "refund", [MEMORY_PIN_KEY]: badPin }, thread("bad-pin"));

    expect(await storedVersions(saver, "bad-pin")).toEqual([1, 1, 1]);
    expect(warnings.map((warning) => [warning.source, warning.code])).toEqual([
      ["pin", "invalid_input"],
      ["pin", "invalid_input"],
    ]);
  });

  it("rejects a timeout that is not a positive number", () => {
    expect(() => new SnapshotCheckpointer({ saver: new MemorySaver(), memory: new UnreachableMemory("fails"), timeoutMs: 0 })).toThrow(/timeoutMs/);
  });
});
