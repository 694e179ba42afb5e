/** Most objections one piece of feedback is read as; sentences past it stay together in the last. */
export const MAX_OBJECTIONS = 4;

/**
 * The separate objections in a user's feedback: its sentences. A reply faulted
 * for two things at once (`Please start with "Hi". The date is wrong.`) holds
 * two objections, and a lesson may fix either on its own.
 */
export function objectionsIn(feedback: string, max = MAX_OBJECTIONS): string[] {
  const sentences = feedback
    .split(/(?<=[.!?]["'”’)]?)\s+(?=["'“‘(]?\p{Lu})/u)
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence !== "");
  return sentences.length <= max ? sentences : [...sentences.slice(0, max - 1), sentences.slice(max - 1).join(" ")];
}
