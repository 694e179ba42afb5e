/**
 * What validating one learning episode costs on the role-play path, before and
 * after the ensemble stops when the verdict is decided, replays a case without
 * the lesson only where that can change the vote, re-checks a break before it
 * vetoes and repairs a rejected lesson. The invoice world of the
 * tests: a failed invoice episode; the learner proposes a right lesson, a
 * plausible wrong one (it breaks the stored refund cases), or the wrong one
 * and then, asked to repair it, the right one; three scripted peers role-play
 * the agent. Stored cases: the two refund cases plus invoice and unrelated
 * ones up to the count given. Model calls are counted by the loop itself
 * (`result.usage`): every chat model call of the learning path.
 *
 *   pnpm --filter lessonloop bench:validation            # 2, 4, 8 stored cases
 *   pnpm --filter lessonloop bench:validation 4,16       # other store sizes
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ChromaEdgeCaseStore, ChromaLessonMemory, startChroma } from "@lessonloop/chroma";
import { EpisodeSchema, createLexicalEmbedder, type EdgeCaseInput } from "@lessonloop/core";
import { ScriptedChatModel, type ScriptedAnswer, type ScriptedCall } from "@lessonloop/core/testing";
import type { ProposedLesson } from "@lessonloop/learner";
import { createLearningLoop, type LearningLoopParams } from "../src/index.js";
import { RIGHT_LESSON, SCOPE, WRONG_LESSON, failedInvoiceEpisode, invoiceLoopParams, regressionCases } from "../src/tests/invoice-world.js";

const sizes = (process.argv[2] ?? "2,4,8").split(",").map(Number);
const embedder = createLexicalEmbedder();

/** Stored cases: the two refund regressions, then invoices in cents and unrelated lookups, `count` in all. */
function storedCases(count: number): EdgeCaseInput[] {
  const extra = Array.from({ length: Math.max(0, count - 2) }, (_, index): EdgeCaseInput =>
    index % 2 === 0
      ? { id: `invoice-${index}`, input: `Invoice customer C${index} for ${index + 3}.50 EUR`, check: { type: "tool_call", name: "create_invoice", args: { customer: `C${index}` } }, kind: "regression", scope: { ...SCOPE }, createdAt: "2026-01-01T00:00:00.000Z" }
      : { id: `lookup-${index}`, input: `What is the status of order L-${index}?`, check: { type: "answer", mustContain: [`L-${index}`], mustNotContain: [] }, kind: "regression", scope: { ...SCOPE }, createdAt: "2026-01-01T00:00:00.000Z" },
  );
  return [...regressionCases(), ...extra].slice(0, count);
}

/** A learner that proposes `first` and, asked to repair it, answers `repair` (or gives up). */
function learner(first: ProposedLesson, repair: ProposedLesson | undefined): ScriptedChatModel {
  return new ScriptedChatModel({
    name: "learner-model",
    responses: ({ tools }: ScriptedCall): ScriptedAnswer => {
      const name = tools[0]?.name;
      if (name === "propose_lessons") return { structured: { lessons: [first] } };
      if (name === "compare_lessons") return { structured: { relation: "different", reason: "another situation" } };
      if (name === "repair_lesson") return repair === undefined ? { structured: { giveUp: true, reason: "no narrowing helps" } } : { structured: { giveUp: false, reason: "keep it to invoices", lesson: repair } };
      return new Error(`unexpected call ${name ?? ""}`);
    },
  });
}

const SCENARIOS = [
  { name: "right lesson", first: RIGHT_LESSON, repair: undefined },
  { name: "wrong lesson", first: WRONG_LESSON, repair: undefined },
  { name: "wrong, repairable", first: WRONG_LESSON, repair: { ...RIGHT_LESSON, appliesTo: "agent" as const } },
] as const;

const SETTINGS: Record<string, Partial<LearningLoopParams>> = {
  before: { earlyStop: false, baselineReplays: "always", confirmBreaks: "off", repairRounds: 0 },
  after: {},
};

const chroma = await startChroma({});
const rows: { cases: number; scenario: string; setting: string; calls: number; tokens: number; validationCalls: number; outcome: string }[] = [];
try {
  let run = 0;
  for (const count of sizes) {
    for (const scenario of SCENARIOS) {
      for (const [setting, params] of Object.entries(SETTINGS)) {
        run += 1;
        const memory = await ChromaLessonMemory.open({ url: chroma.url, name: `cost-${run}`, embedder });
        const edgeCaseStore = await ChromaEdgeCaseStore.open({ url: chroma.url, collection: `cost-${run}-cases`, embedder });
        await edgeCaseStore.add(storedCases(count));
        const loop = await createLearningLoop({
          ...invoiceLoopParams(scenario.first),
          learnerModel: learner(scenario.first, scenario.repair),
          memory,
          edgeCaseStore,
          casesPerValidator: count,
          onEvent: () => {},
          ...params,
        });
        const result = await loop.learn(EpisodeSchema.parse(failedInvoiceEpisode(`cost-${run}`)));
        await loop.close();
        const { models, validation } = result.usage;
        rows.push({
          cases: count,
          scenario: scenario.name,
          setting,
          calls: models.calls,
          tokens: models.promptTokens + models.completionTokens,
          validationCalls: validation.calls,
          outcome: result.lessons.map((judged) => judged.outcome.status).join(" → "),
        });
      }
    }
  }
} finally {
  await chroma.stop();
}

console.log("stored cases | scenario | before: calls | after: calls | after/before | outcome after");
for (const count of sizes) {
  for (const { name } of SCENARIOS) {
    const before = rows.find((row) => row.cases === count && row.scenario === name && row.setting === "before");
    const after = rows.find((row) => row.cases === count && row.scenario === name && row.setting === "after");
    if (before === undefined || after === undefined) continue;
    console.log(`${count} | ${name} | ${before.calls} (${before.outcome}) | ${after.calls} | ${(after.calls / before.calls).toFixed(2)} | ${after.outcome}`);
  }
}
const out = join(dirname(fileURLToPath(import.meta.url)), "results", "validation-cost.json");
await mkdir(dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify({ generated: "by pnpm --filter lessonloop bench:validation — do not edit", measuredAt: new Date().toISOString(), rows }, null, 2)}\n`);
console.log(`\nWrote ${out}`);
