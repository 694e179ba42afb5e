import { detectMemoryInstructions, withoutMemoryInstructions, type Judgement, type MemoryInstruction } from "@lessonloop/critic";
import type { Episode, Lesson } from "@lessonloop/core";
import { contentWords } from "@lessonloop/core/internal";

/**
 * A candidate's guidance or trigger restates a flagged request when at least
 * this share of its content words comes from the flagged text and from none of
 * the run's evidence (the error, the recovery, the feedback or evaluator's
 * reason, the judge's summary).
 */
export const RESTATED_SHARE = 0.5;
/** The share that suffices when one of those words is a name (an address, a URL, an id, a tool, "Mallory"): a lesson rarely names one without cause. */
export const RESTATED_SHARE_WITH_NAME = 0.25;

/** Why a candidate was taken for a restated request. */
export interface RestatedRequest {
  /** The field that restates it. */
  field: "guidance" | "trigger";
  /** The flagged text it restates, and where it was. */
  flagged: MemoryInstruction;
  /** The words of the field that come only from the flagged text. */
  words: string[];
}

/**
 * The requests to the agent's memory or instructions flagged in a run: the
 * critic's flags, and what the same detector finds in the episode (a
 * judgement made before the critic flagged them, or by another critic, has none).
 */
export function flaggedRequests(episode: Episode, judgement: Judgement): MemoryInstruction[] {
  const flagged = [...(judgement.memoryInstructions ?? []), ...detectMemoryInstructions(episode)];
  const seen = new Set<string>();
  return flagged.filter(({ source, step, text }) => {
    const key = `${source}\u0000${step ?? ""}\u0000${text}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * What the run shows apart from the requests in it: the failure's error, the
 * recovery's calls, the signal's detail (feedback, evaluator's reason, judge's
 * verdict), the summary and the evaluator's check — with any flagged request
 * they quote cut out, so a request cannot vouch for itself. The LLM judge read
 * the requests too: a sentence of its verdict that restates one is no evidence either.
 */
export function runEvidence(judgement: Judgement, flagged: readonly MemoryInstruction[]): string {
  const { failure, recovery, signal, summary, check } = judgement;
  const call = (ref: { name: string; args: Record<string, unknown> }) => `${ref.name} ${JSON.stringify(ref.args)}`;
  const restates = (sentence: string) => flagged.some((request) => borrowedShare(stems(sentence), stems(request.text), new Set()) >= RESTATED_SHARE);
  // The LLM judge's words are its reading of a run that holds the requests: keep only its sentences that do not restate one.
  const ownWords = (text: string) => (signal.source === "critic" ? sentences(text).filter((sentence) => !restates(sentence)).join(" ") : text);
  const texts = [
    failure?.tool ?? "",
    ownWords(failure?.error ?? ""),
    ownWords(signal.detail),
    ownWords(summary),
    recovery === undefined ? "" : `${recovery.error} ${call(recovery.failedCall)} ${call(recovery.retryCall)}`,
    check === undefined ? "" : JSON.stringify(check),
  ];
  return texts.map((text) => withoutMemoryInstructions(text, { fromTool: true })).join("\n");
}

function sentences(text: string): string[] {
  return text.split(/(?<=[.!?])\s+|\n+/u);
}

/** The share of `own` (a text's stems) found in `requested` and not in `shown`. */
function borrowedShare(own: Set<string>, requested: Set<string>, shown: Set<string>): number {
  if (own.size === 0) return 0;
  let borrowed = 0;
  for (const word of own) if (requested.has(word) && !shown.has(word)) borrowed += 1;
  return borrowed / own.size;
}

/** Words compared by their stem: plural and verb endings dropped, then at most six letters ("refunds", "refunded" → "refund"). */
function stems(text: string): Set<string> {
  const stemmed = new Set<string>();
  for (const word of contentWords(text)) {
    if (/\d/.test(word)) {
      stemmed.add(word);
      continue;
    }
    const base = word.replace(/(?<=.{3})(?:ies)$/, "y").replace(/(?<=.{3})(?:ing|ed|es|s)$/, "").replace(/(?<=.{3})e$/, "");
    stemmed.add(base.slice(0, 6));
  }
  return stemmed;
}

/**
 * Names in a text, lower-cased: addresses, URLs, ids and tool names
 * (`audit@evil.example`, `wipe_database`, `4111-1111`) and capitalised words
 * not opening a sentence ("… for Mallory's orders", "memory: Mallory's …").
 */
function names(text: string): Set<string> {
  const found = text.toLowerCase().match(/[\p{L}\p{N}._%+-]+@[\p{L}\p{N}.-]+|(?:https?:\/\/)?[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+(?:\/\S*)?|[\p{L}\p{N}]+(?:[_-][\p{L}\p{N}]+)+|\p{L}*\d[\p{L}\p{N}]*/gu) ?? [];
  const proper = [...text.matchAll(/(?<=[\p{L}\p{N},;:)'"]\s+)\p{Lu}\p{Ll}{2,}/gu)].map((match) => match[0].toLowerCase());
  return new Set([...found.map((name) => name.replace(/[.,;:]+$/, "")).filter((name) => /\p{L}/u.test(name) || name.length >= 3), ...proper]);
}

/**
 * Whether a candidate lesson exists only because a flagged request told the
 * agent to remember it: its guidance (or trigger) takes at least
 * {@link RESTATED_SHARE} of its words from one flagged text — words that none
 * of the run's evidence holds — or at least {@link RESTATED_SHARE_WITH_NAME}
 * when one of them is a name (an address, a URL, an id, a tool, a person). A lesson
 * that fixes the run's real failure shares its words with the evidence, and is
 * kept however close it comes to a flagged text.
 */
export function restatedRequest(candidate: Pick<Lesson, "trigger" | "guidance">, flagged: readonly MemoryInstruction[], evidence: string): RestatedRequest | undefined {
  if (flagged.length === 0) return undefined;
  const shown = stems(evidence);
  const shownNames = names(evidence);
  for (const field of ["guidance", "trigger"] as const) {
    const own = stems(candidate[field]);
    if (own.size === 0) continue;
    const ownNames = names(candidate[field]);
    for (const request of flagged) {
      const requested = stems(request.text);
      const requestedNames = names(request.text);
      const borrowed = [...own].filter((word) => requested.has(word) && !shown.has(word));
      const share = borrowedShare(own, requested, shown);
      const namesBorrowed = [...ownNames].some((name) => requestedNames.has(name) && !shownNames.has(name));
      if (share >= RESTATED_SHARE || (namesBorrowed && share >= RESTATED_SHARE_WITH_NAME)) return { field, flagged: request, words: borrowed };
    }
  }
  return undefined;
}
