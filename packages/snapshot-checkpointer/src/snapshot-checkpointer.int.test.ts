import { END, START, StateGraph } from "@langchain/langgraph";
import { MemorySaver, type BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { ChromaLessonMemory, startChroma } from "@lessonloop/chroma";
import { uniqueCollectionName } from "@lessonloop/chroma/testing";
import { createLexicalEmbedder } from "@lessonloop/core";
import { MEMORY_VERSION_METADATA_KEY } from "@lessonloop/core/internal";
import { lessonFixture } from "@lessonloop/core/conformance";
import { describe, expect, inject, it } from "vitest";
import { SnapshotCheckpointer, type SnapshotCheckpointerWarning } from "./snapshot-checkpointer.js";
import { State, pinnedGraph, type StateValue } from "./tests/pinned-graph.js";

const embedder = createLexicalEmbedder();


const thread = (id: string) => ({ configurable: { thread_id: id } });

async function storedVersions(saver: BaseCheckpointSaver, threadId: string): Promise<unknown[]> {
  const versions: unknown[] = [];
  for await (const tuple of saver.list(thread(threadId))) versions.push((tuple.metadata as Record<string, unknown> | undefined)?.[MEMORY_VERSION_METADATA_KEY]);
  return versions;
}

describe("SnapshotCheckpointer over a ChromaLessonMemory", () => {
  it("records the Chroma memory's versions, and a thread keeps its own after a commit and a rollback", async () => {
    const memory = await ChromaLessonMemory.open({ url: inject("chromaUrl"), name: uniqueCollectionName("checkpointer"), embedder, freshnessMs: 0 });
    await memory.commit({ add: [lessonFixture("refund-in-cents")], reason: "seed", author: "tester" });
    const saver = new MemorySaver();
    const checkpointer = new SnapshotCheckpointer({ saver, memory });
    const graph = pinnedGraph(memory, checkpointer);

    await graph.invoke({ question: "refund" }, thread("before"));
    await memory.commit({ add: [lessonFixture("ask-for-order-id")], reason: "learned", author: "tester" });
    const after = await graph.invoke({ question: "refund" }, thread("after"));
    await memory.rollback({ to: 1, reason: "the new lesson hurt", author: "regression-monitor" });
    const rolledBack = await graph.invoke({ question: "refund" }, thread("rolled-back"));

    expect(await storedVersions(saver, "before")).toEqual([1, 1, 1, 1]);
    expect(after.answer).toBe("refund with ask-for-order-id,refund-in-cents");
    expect(await checkpointer.memoryVersionOf(thread("after"))).toBe(2);
    // The rollback is a new version (3) with version 1's lessons.
    expect(rolledBack.answer).toBe("refund with refund-in-cents");
    expect(await checkpointer.memoryVersionOf(thread("rolled-back"))).toBe(3);
    expect(await checkpointer.memoryVersionOf(thread("before"))).toBe(1);
  });

  it("does not fail the user's graph when the Chroma server is gone: it records nothing and warns", async () => {
    const server = await startChroma();
    const memory = await ChromaLessonMemory.open({ url: server.url, name: uniqueCollectionName("checkpointer-down"), embedder, freshnessMs: 0 });
    await memory.commit({ add: [lessonFixture("refund-in-cents")], reason: "seed", author: "tester" });
    await server.stop();

    const warnings: SnapshotCheckpointerWarning[] = [];
    const saver = new MemorySaver();
    const checkpointer = new SnapshotCheckpointer({ saver, memory, onWarning: (warning) => warnings.push(warning) });
    const graph = new StateGraph(State)
      .addNode("agent", (state: StateValue) => ({ answer: `answered ${state.question}` }))
      .addEdge(START, "agent")
      .addEdge("agent", END)
      .compile({ checkpointer });

    const result = await graph.invoke({ question: "refund" }, thread("down"));

    expect(result.answer).toBe("answered refund");
    expect(await storedVersions(saver, "down")).toEqual([undefined, undefined, undefined]);
    expect(warnings).toHaveLength(3);
    for (const warning of warnings) expect(warning).toMatchObject({ source: "memory", code: "store_unavailable", threadId: "down" });
  });
});
