// A user's script with a learning loop on all the defaults, run in the working directory the caller
// chooses (kept-memory-harness.ts). Arguments: the mode, then the options as JSON
// (KeptMemoryOptionsSchema: how many lessons to learn, whether to call close()).
//   learn  learns one lesson from each of `lessons` failed invoices (a customer each), prints, ends
//   count  prints what the memory holds, ends
//   hold   prints, then keeps the loop (and its server) running until SIGTERM
// Prints one JSON line (KeptMemoryPrintedSchema), after a selector served the first lesson.
import { performance } from "node:perf_hooks";
import { parseWith } from "@lessonloop/core/internal";
import type { ProposedLesson } from "@lessonloop/learner";
import { createLearningLoop } from "../index.js";
import { scriptedLearnerModel, scriptedPeerModel } from "../testing/index.js";
import { KeptMemoryOptionsSchema } from "./kept-memory-harness.js";
import { INVOICE_TASK, ROLE_PLAY_TOOLS, RIGHT_LESSON, SCOPE, failedInvoiceEpisode } from "./invoice-world.js";

const CUSTOMERS = ["ACME", "Globex", "Initech", "Umbrella", "Hooli", "Soylent", "Stark", "Wayne", "Wonka", "Tyrell"];
/** The n-th customer: distinct names, so each failed invoice teaches its own lesson. */
const customer = (index: number) => `${CUSTOMERS[index % CUSTOMERS.length] ?? "ACME"}${index < CUSTOMERS.length ? "" : String(Math.floor(index / CUSTOMERS.length))}`;
const task = (index: number) => INVOICE_TASK.replace("ACME", customer(index));
const customerIn = (text: string) => /invoice for (\w+)/.exec(text)?.[1] ?? "ACME";
/** The right lesson for one customer's invoices: each customer's invoices changed on their own, so no lesson makes another redundant. */
function lessonFor(name: string): ProposedLesson {
  return { ...RIGHT_LESSON, trigger: `creating an invoice for ${name} with the create_invoice tool`, guidance: `Send ${name}'s invoice amount as amount_cents, an integer number of cents (12.50 EUR is 1250).` };
}
/** A peer that plays the agent: it sends cents only when a lesson shown names the task's customer; a decision in cents passes. */
const peer = (name: string) =>
  scriptedPeerModel({
    name,
    decide: ({ task: text, lessons }) => {
      const customer = customerIn(text);
      const cents = lessons.some((lesson) => lesson.appliesWhen.includes(`for ${customer} `) && lesson.whatToDo.includes("amount_cents"));
      return { tool: "create_invoice", args: cents ? { customer, amount_cents: 1250 } : { customer, amount: 12.5 } };
    },
    judge: ({ decision }) => decision.includes("amount_cents"),
  });

const mode = process.argv[2];
const options = parseWith(KeptMemoryOptionsSchema, JSON.parse(process.argv[3] ?? "{}"), "kept-memory options");
const opening = performance.now();
const loop = await createLearningLoop({
  learnerModel: scriptedLearnerModel({
    lessons: ({ messages }) => [lessonFor(customerIn(messages.map((message) => String(message.content)).join("\n")))],
  }),
  validatorModels: [peer("a"), peer("b"), peer("c")],
  criticModel: null,
  tools: ROLE_PLAY_TOOLS,
  logVerdicts: "off",
});
if (mode === "learn") {
  for (let index = 0; index < options.lessons; index++) await loop.learn(failedInvoiceEpisode(`ep-kept-${index}`, undefined, task(index)));
}
// What a user's first run after a restart sees: a lesson served for its task.
const select = loop.createSelector();
const served = await select({ text: task(0), scope: SCOPE, tools: ["create_invoice"] });
const firstLessonAt = performance.now();
console.log(
  JSON.stringify({
    path: loop.chroma?.path,
    url: loop.chroma?.url,
    lessons: (await loop.memory.list()).map((lesson) => lesson.id),
    served: served.lessons.map(({ lesson }) => lesson.id),
    openToFirstLessonMs: served.lessons.length === 0 ? -1 : Math.round(firstLessonAt - opening),
    processStartToFirstLessonMs: served.lessons.length === 0 ? -1 : Math.round(firstLessonAt),
  }),
);
if (mode === "hold") {
  // A loop does not keep its process alive (its server is unreferenced): an app's work would.
  const work = setInterval(() => undefined, 1_000);
  process.once("SIGTERM", () => {
    clearInterval(work);
    void loop.close().then(() => process.exit(0));
  });
} else if (options.close) {
  await loop.close();
}
