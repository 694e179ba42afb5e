// A user's script with a learning loop on the embedded Chroma server, for the
// process-lifetime tests (loop-process-exit.int.test.ts). One JSON argument:
//   { mode: "no-close" }        runs the quickstart once and ends without loop.close()
//   { mode: "readme-sigterm", snippet }  installs the README's SIGTERM snippet and keeps running
//   { mode: "running" }         keeps running (for Ctrl-C)
//   { mode: "throws-after-start" }  createLearningLoop with params it refuses after the server started
// Prints one JSON line: { pid, serverPid, path } once the loop runs, or what the failed start left.
import { readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { HumanMessage } from "@langchain/core/messages";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { LessonloopError } from "@lessonloop/core";
import { z } from "zod";
import { createLearningLoop, withLearning } from "../index.js";
import { RIGHT_LESSON, TOOLS, createAgentModel, createLearnerModel, createPeerModel } from "./invoice-world.js";

const InputSchema = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("no-close") }).strict(),
  z.object({ mode: z.literal("readme-sigterm"), snippet: z.string().min(1) }).strict(),
  z.object({ mode: z.literal("running") }).strict(),
  z.object({ mode: z.literal("throws-after-start") }).strict(),
]);
const input = InputSchema.parse(JSON.parse(process.argv[2] ?? "{}"));

const params = {
  learnerModel: createLearnerModel(RIGHT_LESSON),
  validatorModels: [createPeerModel("a"), createPeerModel("b"), createPeerModel("c")],
  criticModel: null,
  tools: [{ name: "create_invoice" }, { name: "create_refund" }],
  onEvent: () => undefined,
  // These runs check what happens to a temporary data folder; the default, kept folder has its own test.
  chromaPath: null,
};

/** Chroma servers whose parent is this process (Linux); tsx's own helper processes are not counted. */
function chromaChildPids(): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, "utf8");
        const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        return parent === process.pid && readFileSync(`/proc/${name}/cmdline`, "utf8").includes("cli.mjs\u0000run");
      } catch {
        return false;
      }
    })
    .map(Number);
}

const temporaryFolders = () => readdirSync(tmpdir()).filter((name) => name.startsWith("lessonloop-chroma-"));

if (input.mode === "throws-after-start") {
  try {
    // "persist" without a journal is refused by the queue, after the default stores (and the server) started.
    await createLearningLoop({ ...params, background: { onFull: "persist" } });
  } catch (error) {
    console.log(JSON.stringify({ code: LessonloopError.isInstance(error) ? error.code : String(error), children: chromaChildPids(), temporaryFolders: temporaryFolders() }));
  }
} else {
  const loop = await createLearningLoop(params);
  const agent = withLearning(createReactAgent({ llm: createAgentModel(), tools: TOOLS }), {
    loop,
    scope: { tenant: "acme", agent: "billing" },
    learning: "sync",
    retriever: { timeoutMs: 5_000 },
  });
  await agent.invoke({ messages: [new HumanMessage("Create an invoice for ACME of 12.50 EUR")] });
  if (input.mode === "readme-sigterm") new Function("loop", input.snippet)(loop);
  // A running app: something keeps the process alive until it is told to stop.
  if (input.mode !== "no-close") setInterval(() => undefined, 60_000);
  console.log(JSON.stringify({ pid: process.pid, serverPid: loop.chroma?.pid, path: loop.chroma?.path, lessons: (await loop.memory.list()).length }));
}
