import type { z } from "zod";
import { IdSchema } from "./ids.js";
import { parseWith } from "./parse.js";
import { decodeRecord, encodeRecord } from "./stored-record.js";
import { VerdictSchema, type Verdict } from "./verdict.js";

/**
 * The validator ensemble's verdicts, kept by lesson id, so that a merged
 * lesson can be shown with every vote and its per-case evidence (a merge
 * snapshot's reason holds only a summary). The merge path writes one verdict
 * per merged lesson; `lessonloop show` reads it.
 */
export interface VerdictStore {
  /** Keeps the verdict under its lesson id, replacing an earlier verdict on the same lesson. `invalid_input` if it does not parse. */
  put(verdict: z.input<typeof VerdictSchema>): Promise<Verdict>;
  /** The verdict kept for the lesson, or `undefined` when there is none. */
  find(lessonId: string): Promise<Verdict | undefined>;
}

/**
 * A `VerdictStore` in this process's memory: for tests and single-process use.
 * Records are kept encoded, as a persistent store keeps them, and parsed on read.
 */
export class InMemoryVerdictStore implements VerdictStore {
  readonly #documents = new Map<string, string>();

  async put(verdict: z.input<typeof VerdictSchema>): Promise<Verdict> {
    const parsed = parseWith(VerdictSchema, verdict, "verdict");
    this.#documents.set(parsed.lessonId, encodeRecord(parsed));
    return parsed;
  }

  async find(lessonId: string): Promise<Verdict | undefined> {
    const document = this.#documents.get(parseWith(IdSchema, lessonId, "lesson id"));
    return document === undefined ? undefined : decodeRecord(VerdictSchema, document, "verdict read from memory");
  }
}
