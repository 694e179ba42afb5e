/**
 * Measures the lexical embedder's cosine score between lessons that say the same
 * thing in other words (paraphrases), lessons that refine one another (same
 * trigger, changed guidance), lessons of the same domain that say something else,
 * and unrelated lessons — the figures behind the learner's `duplicateThreshold`.
 *
 *   pnpm bench:component duplicate-threshold
 */
import { createLexicalEmbedder } from "@lessonloop/core";
import { cosineSimilarity, lessonSearchText, wordOverlap } from "@lessonloop/core/internal";
import { writeComponentResults } from "./component-results.js";

interface Text {
  trigger: string;
  guidance: string;
}
interface Family {
  original: Text;
  /** Say the same, in other words (as a model would when it meets the failure again). */
  paraphrases: Text[];
  /** Same situation, different or extended advice. */
  refinements: Text[];
  /** Same domain, another lesson. */
  related: Text[];
}

const families: Family[] = [
  {
    original: { trigger: "When the refund API rejects the amount with 'amount must be an integer'", guidance: "Send the refund amount in cents as an integer, not in dollars." },
    paraphrases: [
      { trigger: "When a refund fails because the amount must be an integer", guidance: "Convert the refund amount to integer cents before calling the refund API." },
      { trigger: "If the refund API says the amount must be an integer", guidance: "Pass the amount in cents (an integer) rather than dollars." },
    ],
    refinements: [{ trigger: "When the refund API rejects the amount with 'amount must be an integer'", guidance: "Send the refund amount in cents as an integer, and include the ISO currency code." }],
    related: [{ trigger: "When a customer asks for a refund on an order older than 30 days", guidance: "Explain the 30-day refund policy and offer store credit instead." }],
  },
  {
    original: { trigger: "When searching flights for a date the user gives without a year", guidance: "Assume the next upcoming occurrence of that date, not the current year if it has passed." },
    paraphrases: [
      { trigger: "When the user gives a flight date without a year", guidance: "Use the next upcoming occurrence of the date rather than assuming the current year." },
      { trigger: "If a flight search date has no year", guidance: "Pick the next future occurrence of that date instead of the current year." },
    ],
    refinements: [{ trigger: "When searching flights for a date the user gives without a year", guidance: "Ask the user which year they mean before searching." }],
    related: [{ trigger: "When searching flights between two cities", guidance: "Search nearby airports too when no direct flight is found." }],
  },
  {
    original: { trigger: "When the user writes in German", guidance: "Answer in German and use the formal 'Sie'." },
    paraphrases: [
      { trigger: "If the user's message is in German", guidance: "Reply in German, addressing them formally with 'Sie'." },
      { trigger: "When a user writes German", guidance: "Respond in German using the formal Sie form." },
    ],
    refinements: [{ trigger: "When the user writes in German", guidance: "Answer in German and use the informal 'du'." }],
    related: [{ trigger: "When the user asks for a translation", guidance: "Keep product names untranslated." }],
  },
  {
    original: { trigger: "When the database query tool times out on a large table", guidance: "Add a LIMIT clause and filter by date range before retrying." },
    paraphrases: [
      { trigger: "If a query on a large table times out", guidance: "Retry with a date-range filter and a LIMIT clause." },
      { trigger: "When the SQL tool times out querying a big table", guidance: "Narrow the query with a date range filter and add LIMIT, then retry." },
    ],
    refinements: [{ trigger: "When the database query tool times out on a large table", guidance: "Use the read replica instead of the primary database." }],
    related: [{ trigger: "When a SQL query returns no rows", guidance: "Check the table name and the case of string filters before concluding there is no data." }],
  },
  {
    original: { trigger: "When creating a calendar event for a user in another time zone", guidance: "Convert the time to the attendee's time zone and state both times in the invitation." },
    paraphrases: [
      { trigger: "If the calendar event's attendee is in a different time zone", guidance: "State the time in both time zones in the invitation, converted for the attendee." },
      { trigger: "When scheduling an event with someone in another time zone", guidance: "Convert the time into the attendee's zone and show both times." },
    ],
    refinements: [{ trigger: "When creating a calendar event for a user in another time zone", guidance: "Always use UTC in the invitation." }],
    related: [{ trigger: "When creating a calendar event that overlaps another", guidance: "Warn the user about the conflict before booking." }],
  },
  {
    original: { trigger: "When the shipping API returns 'address not found'", guidance: "Ask the user to confirm the postal code before retrying the shipment." },
    paraphrases: [
      { trigger: "If shipping fails with address not found", guidance: "Confirm the postal code with the user, then retry the shipment." },
      { trigger: "When the shipping API cannot find the address", guidance: "Have the user confirm their postal code before trying again." },
    ],
    refinements: [{ trigger: "When the shipping API returns 'address not found'", guidance: "Validate the address with the geocoding tool first, then retry." }],
    related: [{ trigger: "When the shipping API returns a rate for an oversized parcel", guidance: "Offer freight shipping as an alternative." }],
  },
];

export async function run(): Promise<void> {
  const embedder = createLexicalEmbedder();
  const vector = (text: Text) => embedder.embedSync(lessonSearchText(text));
  const score = (a: Text, b: Text) => cosineSimilarity(vector(a), vector(b));

  const overlap = (a: Text, b: Text) => wordOverlap(lessonSearchText(a), lessonSearchText(b));
  const overlaps = { paraphrase: [] as number[], refinement: [] as number[], related: [] as number[], unrelated: [] as number[] };
  families.forEach((family, index) => {
    for (const text of family.paraphrases) overlaps.paraphrase.push(overlap(family.original, text));
    for (const text of family.refinements) overlaps.refinement.push(overlap(family.original, text));
    for (const text of family.related) overlaps.related.push(overlap(family.original, text));
    families.forEach((other, otherIndex) => {
      if (otherIndex !== index) for (const text of [other.original, ...other.paraphrases]) overlaps.unrelated.push(overlap(family.original, text));
    });
  });

  const paraphrase: number[] = [];
  const refinement: number[] = [];
  const related: number[] = [];
  const unrelated: number[] = [];
  families.forEach((family, index) => {
    for (const text of family.paraphrases) paraphrase.push(score(family.original, text));
    for (const text of family.refinements) refinement.push(score(family.original, text));
    for (const text of family.related) related.push(score(family.original, text));
    families.forEach((other, otherIndex) => {
      if (otherIndex === index) return;
      for (const text of [other.original, ...other.paraphrases]) unrelated.push(score(family.original, text));
    });
  });

  const summary = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const round = (value: number) => Math.round(value * 1000) / 1000;
    return { n: sorted.length, min: round(sorted[0] ?? 0), median: round(sorted[Math.floor(sorted.length / 2)] ?? 0), max: round(sorted.at(-1) ?? 0) };
  };
  const result = {
    embedder: embedder.name,
    paraphrase: summary(paraphrase),
    refinement: summary(refinement),
    related: summary(related),
    unrelated: summary(unrelated),
    wordOverlap: Object.fromEntries(Object.entries(overlaps).map(([key, values]) => [key, summary(values)])),
  };
  console.log(`cosine of ${embedder.name} (trigger + guidance):`);
  console.table({ paraphrase: result.paraphrase, refinement: result.refinement, related: result.related, unrelated: result.unrelated });
  console.log("word overlap (Dice of content words), used between the candidates of one answer:");
  console.table(result.wordOverlap);
  for (const threshold of [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6]) {
    const share = (values: number[]) => `${values.filter((value) => value >= threshold).length}/${values.length}`;
    console.log(`threshold ${threshold}: paraphrases caught ${share(paraphrase)}, refinements ${share(refinement)}, related ${share(related)}, unrelated ${share(unrelated)}`);
  }
  console.log(`Wrote ${await writeComponentResults("duplicate-threshold", result)}`);
}
