import type { EdgeCase, Lesson } from "@lessonloop/core";

/** How many more relevant cases than it replays the ensemble reads, to choose boundary cases among. */
export const CASE_POOL_FACTOR = 3;

/** Positive numbers written in a text: amounts, days, counts (`1,250.50` reads as 1250.5). */
export function numbersIn(text: string): number[] {
  const found: number[] = [];
  for (const match of text.matchAll(/(?<![\w.])\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\w.,])\d+(?:\.\d+)?/g)) {
    const value = Number(match[0].replaceAll(",", ""));
    if (Number.isFinite(value) && value > 0) found.push(value);
  }
  return found;
}

/** How far a case's numbers are from the lesson's: the smallest ratio between any two, on a log scale (∞ when either has none). */
function distance(caseNumbers: readonly number[], lessonNumbers: readonly number[]): number {
  let best = Number.POSITIVE_INFINITY;
  for (const a of caseNumbers) for (const b of lessonNumbers) best = Math.min(best, Math.abs(Math.log(a / b)));
  return best;
}

/**
 * The stored cases a lesson is replayed on, from `pool` (most relevant first):
 * the `k` most relevant — with two kinds of places set apart:
 *
 * - when its motivating cases (or the lesson) name the tools they are about, a
 *   quarter of the places go to the most relevant cases of *other* tools: a
 *   lesson is served wherever its words or tools match, and one worded too
 *   broadly ("before calling any tool…") breaks tasks its motivation never
 *   touched, which the most relevant cases (all about the same tool) miss;
 * - when its guidance names numbers (a threshold, a window, a limit), half of
 *   the remaining places go to the relevant cases whose inputs hold the
 *   numbers nearest to the lesson's: a threshold guessed too wide breaks the
 *   cases just inside it, which the most relevant cases (all alike in wording)
 *   rarely include.
 */
export function selectCases(pool: readonly { edgeCase: EdgeCase }[], lesson: Pick<Lesson, "guidance">, k: number, aboutTools: ReadonlySet<string> = new Set()): EdgeCase[] {
  const byRelevance = pool.map(({ edgeCase }) => edgeCase);
  const elsewhere =
    aboutTools.size === 0
      ? []
      : byRelevance.filter((edgeCase) => edgeCase.tools !== undefined && edgeCase.tools.length > 0 && !edgeCase.tools.some((tool) => aboutTools.has(tool))).slice(0, Math.floor(k / 4));
  const apart = new Set(elsewhere);
  return [...nearestNumbers(byRelevance.filter((edgeCase) => !apart.has(edgeCase)), lesson, k - elsewhere.length), ...elsewhere];
}

/** The `k` most relevant of `byRelevance`, half of them those nearest the lesson's numbers when it names any. */
function nearestNumbers(byRelevance: readonly EdgeCase[], lesson: Pick<Lesson, "guidance">, k: number): EdgeCase[] {
  const lessonNumbers = numbersIn(lesson.guidance);
  if (lessonNumbers.length === 0) return byRelevance.slice(0, k);
  const nearest = Math.floor(k / 2);
  const chosen = byRelevance.slice(0, k - nearest);
  const rest = byRelevance
    .slice(k - nearest)
    .map((edgeCase, rank) => ({ edgeCase, rank, distance: distance(numbersIn(edgeCase.input), lessonNumbers) }))
    .filter((entry) => Number.isFinite(entry.distance))
    .sort((a, b) => a.distance - b.distance || a.rank - b.rank)
    .slice(0, nearest)
    .map((entry) => entry.edgeCase);
  const taken = new Set([...chosen, ...rest].map((edgeCase) => edgeCase.id));
  // Fewer cases with numbers than places: the next most relevant fill them.
  const fill = byRelevance.filter((edgeCase) => !taken.has(edgeCase.id)).slice(0, k - chosen.length - rest.length);
  return [...chosen, ...rest, ...fill];
}

/**
 * The cases each validator replays when the stored cases are divided among
 * them: every validator gets all the motivating cases (they decide whether the
 * lesson fixes anything) and the stored cases are dealt in turn, most relevant
 * first, so each stored case is replayed by one validator instead of all.
 */
export function dealStoredCases(cases: readonly EdgeCase[], motivating: ReadonlySet<string>, validatorIds: readonly string[]): Map<string, EdgeCase[]> {
  const shares = new Map(validatorIds.map((id) => [id, cases.filter((edgeCase) => motivating.has(edgeCase.id))]));
  cases
    .filter((edgeCase) => !motivating.has(edgeCase.id))
    .forEach((edgeCase, turn) => shares.get(validatorIds[turn % validatorIds.length] as string)?.push(edgeCase));
  return shares;
}
