import { createSeededRandom } from "@lessonloop/core/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createApiDriftEnvironment } from "../environments/api-drift.js";
import { createPolicyShiftEnvironment } from "../environments/policy-shift.js";
import { createUserPreferencesEnvironment } from "../environments/user-preferences.js";
import type { Environment } from "../environments/environment.js";
import { keyedRandom } from "../keyed-draw.js";
import { falseVariant } from "./episode-reading.js";
import { directiveKey, parseDirectives, renderDirective, type Directive } from "./lesson-language.js";
import { paraphraseDirective, paraphrasesOf, parseParaphrased } from "./paraphrase.js";
import { DIRECTIVE_CORPUS, arbitraryDirective } from "./testing/arbitrary-directives.js";

/** A phrasing with its quoting undone: two quotings of one phrasing are one phrasing. */
const unquoted = (sentence: string) => sentence.replaceAll("`", '"');
const lessonText = (guidance: string) => `Lessons learned from past runs:\n1. When: shipping "an order" (ship_order)\n   Do: ${guidance} Be careful.`;

describe("the paraphraser", () => {
  it("writes every directive in at least four phrasings, none of them the canonical sentence, one sentence each", () => {
    for (const directive of DIRECTIVE_CORPUS) {
      const sentences = paraphrasesOf(directive);
      expect(new Set(sentences.map(unquoted)).size, renderDirective(directive)).toBeGreaterThanOrEqual(4);
      expect(sentences).not.toContain(renderDirective(directive));
      for (const sentence of sentences) {
        expect(sentence).toMatch(/^\S.*\.$/);
        // One full stop that ends a sentence: the last character.
        expect(sentence.slice(0, -1)).not.toMatch(/[.!?](\s|$)/);
      }
    }
  });

  it("quotes field names both ways and names the tool both before and after the instruction", () => {
    const rename: Directive = { kind: "rename_field", tool: "create_invoice", from: "amount", to: "amount_minor" };
    const sentences = paraphrasesOf(rename);
    expect(sentences.some((sentence) => sentence.includes('"amount_minor"'))).toBe(true);
    expect(sentences.some((sentence) => sentence.includes("`amount_minor`"))).toBe(true);
    expect(sentences.some((sentence) => sentence.startsWith("create_invoice"))).toBe(true);
    expect(sentences.some((sentence) => sentence.endsWith("create_invoice."))).toBe(true);
    const scale = paraphrasesOf({ kind: "scale_value", tool: "ship_order", field: "weight", factor: 1000 });
    for (const synonym of [/\bmultiply\b/, /\bby a factor of\b/, /\btimes\b/]) expect(scale.some((sentence) => synonym.test(sentence))).toBe(true);
    const replace = paraphrasesOf({ kind: "replace_tool", from: "send_invoice", to: "deliver_invoice" });
    for (const synonym of [/\binstead of\b/i, /\bin place of\b/, /\bretired\b/]) expect(replace.some((sentence) => synonym.test(sentence))).toBe(true);
  });

  it("reads every phrasing of every directive in the corpus back exactly (the exact inverse)", () => {
    let checked = 0;
    for (const directive of DIRECTIVE_CORPUS) {
      for (const sentence of paraphrasesOf(directive)) {
        expect(parseParaphrased(sentence), sentence).toEqual([directive]);
        expect(parseParaphrased(lessonText(sentence)), sentence).toEqual([directive]);
        checked += 1;
      }
      expect(parseParaphrased(lessonText(renderDirective(directive)))).toEqual([directive]);
    }
    expect(checked).toBeGreaterThan(DIRECTIVE_CORPUS.length * 4);
  });

  it("reads back any directives in any phrasings, several to a lesson, in their order", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(arbitraryDirective(), fc.nat(), fc.boolean()), { minLength: 1, maxLength: 4 }), (picks) => {
        const sentences = picks.map(([directive, phrasing, canonical]) => {
          const phrasings = paraphrasesOf(directive);
          return canonical ? renderDirective(directive) : (phrasings[phrasing % phrasings.length] as string);
        });
        expect(parseParaphrased(lessonText(sentences.join(" ")))).toEqual(picks.map(([directive]) => directive));
      }),
      { numRuns: 400 },
    );
  });

  it("chooses the wording by the seeded random: a seed reproduces it, and the seeds reach every phrasing", () => {
    const directive: Directive = { kind: "route_above", tool: "issue_refund", quantity: "days_since_delivery", above: 14, instead: "deny_refund" };
    expect(paraphraseDirective(directive, keyedRandom(7, "wording", "task-1"))).toBe(paraphraseDirective(directive, keyedRandom(7, "wording", "task-1")));
    const written = new Set<string>();
    for (let seed = 0; seed < 200; seed++) written.add(paraphraseDirective(directive, createSeededRandom(seed)));
    expect([...written].sort()).toEqual(paraphrasesOf(directive).sort());
  });

  it("understands nothing but its phrasings and the canonical sentences", () => {
    expect(parseParaphrased("Always double-check invoice amounts before sending them.")).toEqual([]);
    // A format nobody knows, a tool name that is no identifier, a sentence cut short.
    expect(parseParaphrased('ship_order wants "ship_date" in the DD-MM-YY format.')).toEqual([]);
    expect(parseParaphrased('Send "amount_minor" rather than "amount" when calling Create-Invoice.')).toEqual([]);
    expect(parseParaphrased('Scale "weight" by a factor of 1000 when calling ship_order')).toEqual([]);
    // A format and an example that disagree state nothing.
    expect(parseParaphrased("When writing a date for this user, use DD.MM.YYYY (11/24/2026).")).toEqual([]);
  });
});

describe("grading a paraphrased lesson", () => {
  const worlds: [string, Environment, number][] = [
    ["api-drift", createApiDriftEnvironment(), 119],
    ["policy-shift", createPolicyShiftEnvironment(), 119],
    ["user-preferences", createUserPreferencesEnvironment(), 119],
  ];

  it.each(worlds)("%s grades every wording of a rule as the rule, and every wording of a wrong variant as wrong", (_name, environment, at) => {
    const tasks = environment.tasks({ seed: 3, count: 12 });
    let graded = 0;
    for (const task of tasks) {
      const truths = environment.oracleLessons(task, at).flatMap(parseDirectives);
      const known = new Set(truths.map(directiveKey));
      for (const [index, truth] of truths.entries()) {
        for (const sentence of paraphrasesOf(truth)) {
          expect(environment.gradeLesson({ text: sentence, scope: task.scope }, at), sentence).toBe("correct");
          graded += 1;
        }
        const wrong = falseVariant(truth, createSeededRandom(index));
        if (known.has(directiveKey(wrong))) continue;
        for (const sentence of paraphrasesOf(wrong)) expect(environment.gradeLesson({ text: sentence, scope: task.scope }, at), sentence).toBe("incorrect");
        // A right rule beside a wrong one is a wrong lesson, however each is worded.
        expect(environment.gradeLesson({ text: `${paraphrasesOf(truth)[0]} ${paraphrasesOf(wrong)[1]}`, scope: task.scope }, at)).toBe("incorrect");
      }
    }
    expect(graded).toBeGreaterThan(24);
  });
});
