// A user's script with a learning loop on all the defaults, run in the working directory the test
// chooses (loop-memory-kept.int.test.ts). One argument:
//   learn  learns from one failed episode, prints, closes
//   count  prints what the memory holds, closes
//   hold   prints, then keeps the loop (and its server) running until SIGTERM
// Prints one JSON line: { path, url, lessons }.
import { createLearningLoop } from "../index.js";
import { RIGHT_LESSON, ROLE_PLAY_TOOLS, createLearnerModel, createPeerModel, failedInvoiceEpisode } from "./invoice-world.js";

const mode = process.argv[2];
const loop = await createLearningLoop({
  learnerModel: createLearnerModel(RIGHT_LESSON),
  validatorModels: [createPeerModel("a"), createPeerModel("b"), createPeerModel("c")],
  criticModel: null,
  tools: ROLE_PLAY_TOOLS,
  logVerdicts: "off",
});
if (mode === "learn") await loop.learn(failedInvoiceEpisode("ep-kept"));
console.log(JSON.stringify({ path: loop.chroma?.path, url: loop.chroma?.url, lessons: (await loop.memory.list()).map((lesson) => lesson.id) }));
if (mode === "hold") {
  // A loop does not keep its process alive (its server is unreferenced): an app's work would.
  const work = setInterval(() => undefined, 1_000);
  process.once("SIGTERM", () => {
    clearInterval(work);
    void loop.close().then(() => process.exit(0));
  });
} else {
  await loop.close();
}
