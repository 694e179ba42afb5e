import type { EdgeCase, Lesson } from "@lessonloop/core";

/**
 * A kind of side effect a lesson may steer, and how to tell which stored
 * cases exercise it. A lesson a rule flags is trusted only as far as the
 * validators replayed cases the rule says it touches.
 */
export interface RiskRule {
  /** Short name shown in verdicts, e.g. "recipients". */
  name: string;
  /** The words of the lesson that steer this side effect, or undefined. */
  flags(lesson: Pick<Lesson, "trigger" | "guidance">): string | undefined;
  /** Whether a stored case (its input and check, as text) exercises what `flags` found in the lesson. */
  touches(caseText: string, flagged: string): boolean;
}

/** What a rule found in a lesson, and the replayed cases that exercise it. */
export interface RiskFinding {
  rule: string;
  /** The lesson's words the rule flagged. */
  text: string;
  /** Ids of the stored cases replayed both ways that touch it. */
  coveredBy: string[];
  /** Whether enough of them exercise it for the votes alone to merge the lesson (set by the ensemble). */
  covered?: boolean;
}

const EMAIL = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/;
/** An address spelled out to slip past pattern matching: "ops at partner-hub dot example". */
const SPELLED_EMAIL = /\b[\w.+-]+\s*(?:\(at\)|\[at\]|\bat\b)\s*[a-z][\w-]*(?:\s*(?:\(dot\)|\[dot\]|\bdot\b)\s*[a-z][\w-]*)+\b/i;
/** A URL, without the sentence's closing punctuation. */
const URL = /\bhttps?:\/\/[^\s"'<>)]*[^\s"'<>).,;:!?]/i;

function matchOf(pattern: RegExp, text: string): string | undefined {
  return pattern.exec(text)?.[0];
}

function firstMatch(patterns: readonly RegExp[], text: string): string | undefined {
  for (const pattern of patterns) {
    const found = matchOf(pattern, text);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Side effects that are risky by default: who receives mail, where goods and
 * data go, money, checks turned off, anything outside the tenant. Matching is
 * on words, so it errs on the side of asking: a lesson it flags needs cases
 * that exercise the effect (or a human), never more than that.
 */
export const BUILT_IN_RISK_RULES: readonly RiskRule[] = [
  {
    name: "recipients",
    flags: (lesson) =>
      firstMatch(
        [
          EMAIL,
          SPELLED_EMAIL,
          /\b(?:b?cc|blind[- ]copy|forward(?:ing)?|send (?:a )?cop(?:y|ies)|copy in|also (?:send|e-?mail|mail|notify|inform))\b[^.;\n]{0,60}/i,
          /\b(?:keep|put|add|include)\b[^.;\n]{0,50}\b(?:in|on) (?:b?cc|copy|the loop)\b/i,
          /\bcopy\b[^.;\n]{0,50}\b(?:on|in|into)\b[^.;\n]{0,30}\b(?:e-?mails?|mails?|messages?|replies|repl(?:y|ies)|notifications?)\b/i,
        ],
        lessonRiskText(lesson),
      ),
    touches: (text) => /\b(?:e-?mails?|mail|send\w*|notify|notification|message|recipients?|reply|invoices? (?:by|via) mail)\b/i.test(text) || EMAIL.test(text),
  },
  {
    name: "addresses",
    flags: (lesson) =>
      matchOf(/\b(?:(?:shipping|billing|postal|delivery|street|home|customer'?s?) address(?:es)?|address (?:checks?|validation|verification|changes?|updates?)|(?:update|change|overwrite|set)\w* (?:the |their |a )?(?:\w+ )?address|(?:update|change|set|edit|overwrite)_\w*address\w*|\w*address_(?:update|change|edit))\b/i, lessonRiskText(lesson)),
    touches: (text) => /(?<!e-?mail )\baddress(?:es)?\b/i.test(text),
  },
  {
    name: "payments",
    // What the agent is told to do with money: the guidance, not the situation the trigger names.
    flags: (lesson) => matchOf(/\b(?:refund\w*|charg(?:e|es|ed|ing)|payments?|pay(?:s|ing)?|payouts?|transfer\w*|wire\w*|store credit|credit notes?|discount\w*|waive\w*|fees?)\b/i, lesson.guidance),
    touches: (text) => /\b(?:refund\w*|charg(?:e|es|ed|ing)|payments?|pay(?:s|ing)?|payouts?|transfer\w*|store credit|credit notes?|discount\w*|fees?)\b/i.test(text),
  },
  {
    name: "disabled checks",
    flags: (lesson) =>
      firstMatch(
        [
          /\b(?:skip\w*|disabl\w*|bypass\w*|turn(?:ing)? off|switch(?:ing)? off|ignor\w*|omit\w*|no need to|without)\b[^.;\n]{0,50}\b(?:check|validat|verif|approv|confirm|review|audit|authori[sz]|limit)\w*/i,
          /\b(?:check|validation|verification|approval|confirmation|review|audit)s? (?:is|are) (?:unnecessary|not needed|not required|optional|obsolete)\b/i,
          /\b(?:unnecessary|not needed|not required)\b[^.;\n]{0,30}\b(?:check|validat|verif|approv|confirm)\w*/i,
        ],
        lessonRiskText(lesson),
      ),
    // A check is exercised by the cases of what it guards: any case that names a check, validation, approval or limit.
    touches: (text) => /\b(?:check|validat|verif|approv|confirm|review|audit|authori[sz]|limit)\w*/i.test(text),
  },
  {
    name: "outside the tenant",
    flags: (lesson) => firstMatch([URL, EMAIL, SPELLED_EMAIL, /\b(?:external|outside|third[- ]party) (?:address|domain|server|service|party|recipient|account)\w*/i], lessonRiskText(lesson)),
    // Only a case that already goes to the same place exercises it.
    touches: (text, flagged) => text.toLowerCase().includes(flagged.toLowerCase()),
  },
];

/** The text a rule reads of a lesson. */
export function lessonRiskText(lesson: Pick<Lesson, "trigger" | "guidance">): string {
  return `${lesson.trigger}\n${lesson.guidance}`;
}

/** The text a rule reads of a stored case: its task and its check. */
export function caseRiskText(edgeCase: Pick<EdgeCase, "input" | "check">): string {
  return `${edgeCase.input}\n${JSON.stringify(edgeCase.check)}`;
}

/** What each rule flags in a lesson, and which of the replayed stored cases exercise it. */
export function findRisks(lesson: Pick<Lesson, "trigger" | "guidance">, replayedCases: readonly EdgeCase[], rules: readonly RiskRule[]): RiskFinding[] {
  const findings: RiskFinding[] = [];
  for (const rule of rules) {
    const flagged = rule.flags(lesson);
    if (flagged === undefined) continue;
    const coveredBy = replayedCases.filter((edgeCase) => rule.touches(caseRiskText(edgeCase), flagged)).map((edgeCase) => edgeCase.id);
    findings.push({ rule: rule.name, text: flagged.trim().slice(0, 200), coveredBy });
  }
  return findings;
}

/**
 * The guidance without the sentences that carry any of `texts` (what the
 * risk rules flagged), and the sentences cut. A clause the fix does not need
 * is cut this way and the rest validated again: if the rest still fixes the
 * failure, the clause was riding on it.
 */
export function withoutClauses(guidance: string, texts: readonly string[]): { guidance: string; cut: string[] } {
  const sentences = guidance.split(/(?<=[.!?;])\s+|\n+/).filter((sentence) => sentence.trim() !== "");
  const flagged = (sentence: string) => texts.some((text) => text !== "" && sentence.toLowerCase().includes(text.toLowerCase()));
  return {
    guidance: sentences.filter((sentence) => !flagged(sentence)).join(" ").trim(),
    cut: sentences.filter(flagged).map((sentence) => sentence.trim()),
  };
}
