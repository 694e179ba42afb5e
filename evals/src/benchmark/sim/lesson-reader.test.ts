import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDirectives, renderDirective, type Directive } from "./lesson-language.js";
import { lessonSentences, readLessons, understandSentence } from "./lesson-reader.js";
import { paraphrasesOf } from "./paraphrase.js";
import { proposedLesson } from "./sim-learner-model.js";
import { DIRECTIVE_CORPUS, arbitraryDirective, isMeaningful, snakeCaseName } from "./testing/arbitrary-directives.js";
import { lessonContextOf } from "./testing/lesson-context.js";

const TASK = "Invoice customer C-204 for order O-1182: 129.90 EUR, due 2026-12-24.";

/** A lesson as the learner writes it (its trigger cites the task and names the tool) and the retriever renders it. */
const contextOf = (lessons: readonly { directive: Directive; guidance: string }[]) =>
  lessonContextOf(
    lessons.map(({ directive, guidance }) => ({
      trigger: proposedLesson({ directives: [directive], kind: "constraint", appliesTo: "tenant", evidence: "", trust: "signal" }, TASK, 1).trigger,
      guidance,
    })),
  );

/** Directives with names as tools are named, that a reader of meaning can take (see isMeaningful). */
const realistic = arbitraryDirective({ toolName: snakeCaseName }).filter(isMeaningful);

/** Every sentence a directive may reach the agent as: the canonical one (the oracle's) and each paraphrase (the learner's). */
const everyWording = (directive: Directive) => [renderDirective(directive), ...paraphrasesOf(directive)];

describe("the agent's lesson reader", () => {
  it("recovers the directive from every phrasing and from the canonical sentence, in a rendered lesson context", () => {
    let read = 0;
    for (const directive of DIRECTIVE_CORPUS) {
      for (const guidance of everyWording(directive)) {
        expect(readLessons(contextOf([{ directive, guidance }])), guidance).toEqual([directive]);
        read += 1;
      }
    }
    expect(read).toBeGreaterThan(DIRECTIVE_CORPUS.length * 5);
  });

  it("recovers any directive in any wording, several lessons and sentences in the order given", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(realistic, fc.nat()), { minLength: 1, maxLength: 4 }), (picks) => {
        const lessons = picks.map(([directive, wording]) => {
          const wordings = everyWording(directive);
          return { directive, guidance: wordings[wording % wordings.length] as string };
        });
        expect(readLessons(contextOf(lessons))).toEqual(lessons.map(({ directive }) => directive));
        // Two directives in one lesson's guidance, one sentence each.
        const [first, second] = lessons;
        if (second !== undefined && first !== undefined) {
          expect(readLessons(contextOf([{ directive: first.directive, guidance: `${first.guidance} ${second.guidance}` }]))).toEqual([first.directive, second.directive]);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("reads by meaning: wordings neither the learner nor the oracle writes", () => {
    const cases: [string, Directive][] = [
      ["Switch from send_invoice to deliver_invoice.", { kind: "replace_tool", from: "send_invoice", to: "deliver_invoice" }],
      ["ship_order now takes `weight` in grams, so multiply it by 1000.", { kind: "scale_value", tool: "ship_order", field: "weight", factor: 1000 }],
      ["Refunds above 100 EUR go to request_manager_approval, not issue_refund.", { kind: "route_above", tool: "issue_refund", quantity: "amount", above: 100, instead: "request_manager_approval" }],
      ['create_order requires the "currency" parameter; use "EUR".', { kind: "include_param", tool: "create_order", param: "currency", value: "EUR" }],
      ['In create_invoice requests, "amount" has been renamed to "amount_minor".', { kind: "rename_field", tool: "create_invoice", from: "amount", to: "amount_minor" }],
      ["Tell this user how far things are in km.", { kind: "preference", aspect: "units", value: "km" }],
      ['Greetings to this user should start with "Dear".', { kind: "preference", aspect: "greeting", value: "Dear" }],
      ["This user reads dates best as 24 November 2026.", { kind: "preference", aspect: "date_format", value: "D MMMM YYYY" }],
    ];
    for (const [sentence, directive] of cases) expect(understandSentence(sentence), sentence).toEqual(directive);
    for (const [sentence] of cases) expect(parseDirectives(sentence)).toEqual([]);
  });

  it("takes nothing from headers, triggers, prose, failure reports or sentences it cannot make out unambiguously", () => {
    const context = [
      "Lessons learned from past runs of this agent. Apply each one whose situation matches the current task:",
      '1. When: invoicing a customer for an order (create_invoice), as in tasks like "Invoice customer for order : EUR, due ."',
      "   Do: Always double-check invoice amounts before sending them. Be careful with ship_order and create_invoice.",
      'Reflection on "Invoice customer C-1 for order O-2": the attempt failed (422 Unprocessable Entity: unknown field "amount" — did you mean "amount_minor" (amount in minor units)?).',
      'Reflection on "Book the delivery of order O-7 for 2026-12-01": the attempt failed (Please write dates like 24.11.2026, as I asked before.).',
      // Two fields where one is meant, two tools without a word of which replaces which, a format nobody knows.
      'When calling ship_order, multiply "weight" or "height" by 1000.',
      "Call deliver_invoice and send_invoice.",
      'ship_order wants "ship_date" in the DD-MM-YY format.',
      "Give this user distances in miles or kilometres.",
    ].join("\n");
    expect(readLessons(context)).toEqual([]);
  });

  it("splits a context into sentences at full stops, not at the dots of dates, numbers or abbreviations", () => {
    expect(lessonSentences("1. When: x\n   Do: Write dates like 24.11.2026 (DD.MM.YYYY). Scale it by 1.5, e.g. twice. Done")).toEqual([
      "Write dates like 24.11.2026 (DD.MM.YYYY).",
      "Scale it by 1.5, e.g. twice.",
      "Done",
    ]);
  });

  it("understands each sentence only when its comprehension draw says so: nothing at misread rate 1", () => {
    const lessons = DIRECTIVE_CORPUS.map((directive, index) => ({ directive, guidance: paraphrasesOf(directive)[index % 4] as string }));
    const context = contextOf(lessons);
    expect(readLessons(context, { understands: () => true })).toEqual(DIRECTIVE_CORPUS);
    expect(readLessons(context, { understands: () => false })).toEqual([]);
    const asked: string[] = [];
    const everyOther = readLessons(context, {
      understands: (sentence) => {
        asked.push(sentence);
        return asked.length % 2 === 1;
      },
    });
    expect(asked).toEqual(lessons.map(({ guidance }) => guidance));
    expect(everyOther).toEqual(DIRECTIVE_CORPUS.filter((_directive, index) => index % 2 === 0));
  });

  it("is what breaks the closed loop: a reader of the exact canonical sentences (parseDirectives) misses every paraphrase", () => {
    let paraphrases = 0;
    let exactReads = 0;
    let meaningReads = 0;
    fc.assert(
      fc.property(realistic, (directive) => {
        for (const sentence of paraphrasesOf(directive)) {
          paraphrases += 1;
          if (parseDirectives(sentence).length > 0) exactReads += 1;
          if (JSON.stringify(readLessons(sentence)) === JSON.stringify([directive])) meaningReads += 1;
        }
      }),
      { numRuns: 300 },
    );
    // Measured: the canonical-sentence reader understands 0 of the paraphrases (misses 100%); the meaning reader all.
    expect(paraphrases).toBeGreaterThan(1500);
    expect(exactReads / paraphrases).toBe(0);
    expect(meaningReads / paraphrases).toBe(1);
  });

  it("reads independently: neither the paraphraser's templates nor the canonical sentence patterns", () => {
    const source = readFileSync(new URL("./lesson-reader.ts", import.meta.url), "utf8");
    const imports = [...source.matchAll(/import\s+([^;]*?)\s+from\s+"([^"]+)"/g)].map(([, names, from]) => ({ names, from }));
    expect(imports.map(({ from }) => from).sort()).toEqual(["../environments/date-format.js", "./lesson-language.js"]);
    const fromLanguage = imports.find(({ from }) => from === "./lesson-language.js")?.names ?? "";
    expect(fromLanguage).not.toMatch(/parseDirectives|findDirectives|renderDirective/);
  });
});
