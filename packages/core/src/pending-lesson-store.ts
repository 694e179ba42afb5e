import { z } from "zod";
import { systemClock, type Clock } from "./clock.js";
import { EdgeCaseBatchSchema } from "./edge-case-store.js";
import { LessonloopError } from "./errors.js";
import { IdSchema, TimestampSchema, VersionSchema } from "./ids.js";
import { LessonSchema } from "./lesson.js";
import { parseWith } from "./parse.js";
import { ScopeSchema, scopeContains } from "./scope.js";
import { decodeRecord, encodeRecord } from "./stored-record.js";
import { VerdictSchema } from "./verdict.js";

/** `pending` until a human decides; then `approved` (committed to memory) or `rejected` (kept for audit). */
export const PendingLessonStatusSchema = z.enum(["pending", "approved", "rejected"]);
export type PendingLessonStatus = z.infer<typeof PendingLessonStatusSchema>;

const actor = z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters");
const why = z.string().trim().min(1, "must say why").max(4_000, "must be at most 4000 characters");

/** A human's decision on a parked lesson. */
export const PendingLessonDecisionSchema = z
  .object({
    /** Who decided: a user name, `cli:ana` … */
    by: actor,
    /** Why, shown in `lessonloop show` and (for an approval) in the merge snapshot's reason. */
    reason: why,
    at: TimestampSchema,
    /** For an approval: the memory version that made the lesson live. */
    mergedIn: VersionSchema.optional(),
  })
  .strict();
export type PendingLessonDecision = z.infer<typeof PendingLessonDecisionSchema>;

/** The verdict, when there is one, must be about the lesson it is parked with. */
function verdictMatchesLesson(
  value: { lesson: { id: string }; verdict?: { lessonId: string } | undefined },
  context: z.RefinementCtx,
): void {
  if (value.verdict !== undefined && value.verdict.lessonId !== value.lesson.id) {
    context.addIssue({
      code: "custom",
      path: ["verdict", "lessonId"],
      message: `is "${value.verdict.lessonId}" but the lesson is "${value.lesson.id}"; park a lesson with its own verdict`,
    });
  }
}

const parkedFields = {
  /** The candidate lesson, as the learner proposed it (or as a reviewer edited it). */
  lesson: LessonSchema,
  /** The validator ensemble's verdict with every vote and its per-case evidence, when it ran. */
  verdict: VerdictSchema.optional(),
  /** The edge cases that come with the lesson; committed to the edge-case store on approval. */
  edgeCases: EdgeCaseBatchSchema.max(500).default([]),
  /** Why the lesson waits for a human, e.g. "constraint lessons need approval". */
  note: z.string().max(4_000).default(""),
};

/** What `park` takes. */
export const ParkLessonRequestSchema = z.object(parkedFields).strict().superRefine(verdictMatchesLesson);
export type ParkLessonRequest = z.input<typeof ParkLessonRequestSchema>;

/** A lesson that waits (or waited) for a human decision, with its verdict and evidence. */
export const PendingLessonSchema = z
  .object({
    ...parkedFields,
    status: PendingLessonStatusSchema,
    parkedAt: TimestampSchema,
    /** Present exactly when `status` is not `pending`. */
    decision: PendingLessonDecisionSchema.optional(),
  })
  .strict()
  .superRefine((value, context) => {
    verdictMatchesLesson(value, context);
    if ((value.status === "pending") !== (value.decision === undefined)) {
      context.addIssue({
        code: "custom",
        path: ["decision"],
        message: value.status === "pending" ? "must be absent while the lesson is pending" : `is required for status "${value.status}"`,
      });
    }
    if (value.decision?.mergedIn !== undefined && value.status !== "approved") {
      context.addIssue({ code: "custom", path: ["decision", "mergedIn"], message: "is only set for an approved lesson" });
    }
  });
export type PendingLesson = z.infer<typeof PendingLessonSchema>;

/** What `decide` takes. */
export const PendingLessonDecisionRequestSchema = z
  .object({
    status: z.enum(["approved", "rejected"]),
    by: actor,
    reason: why,
    /** For an approval: the memory version that made the lesson live. */
    mergedIn: VersionSchema.optional(),
  })
  .strict()
  .superRefine((value, context) => {
    if (value.mergedIn !== undefined && value.status !== "approved") {
      context.addIssue({ code: "custom", path: ["mergedIn"], message: "is only set for an approval" });
    }
  });
export type PendingLessonDecisionRequest = z.input<typeof PendingLessonDecisionRequestSchema>;

/** What `list` takes. */
export const PendingLessonListRequestSchema = z
  .object({
    /** Only lessons in this state. Default: every state. */
    status: PendingLessonStatusSchema.optional(),
    /** Only lessons within this scope (its tenant, and its user/agent where given). */
    scope: ScopeSchema.optional(),
  })
  .strict();
export type PendingLessonListRequest = z.input<typeof PendingLessonListRequestSchema>;

/**
 * Lessons that need a human's approval before they are merged. The learning
 * path parks a lesson here (with its verdict and edge cases) instead of
 * committing it; `lessonloop approve` commits it and records the decision,
 * `lessonloop reject` records a rejection. Decided lessons stay, for audit.
 */
export interface PendingLessonStore {
  /**
   * Parks a lesson for review. Parking an id that is still pending replaces
   * it (a retried learning step is harmless); an id already decided is a
   * `conflict`. Invalid input is `invalid_input` and nothing is written.
   */
  park(request: ParkLessonRequest): Promise<PendingLesson>;
  /** The parked lesson with this id, in whatever state; `not_found` if it was never parked. */
  get(lessonId: string): Promise<PendingLesson>;
  /** Parked lessons, oldest first (ties by id). */
  list(request?: PendingLessonListRequest): Promise<PendingLesson[]>;
  /**
   * Records a human decision on a pending lesson. `not_found` if it was never
   * parked, `conflict` if it was already decided. Committing an approved lesson
   * to memory is the caller's job; pass the version in `mergedIn`.
   */
  decide(lessonId: string, request: PendingLessonDecisionRequest): Promise<PendingLesson>;
}

function notParked(lessonId: string): LessonloopError {
  return new LessonloopError(
    "not_found",
    `No lesson "${lessonId}" waits for approval, nor was one decided. List pending lessons (\`lessonloop pending\`) for the ids that do.`,
    { details: { lessonId } },
  );
}

function alreadyDecided(existing: PendingLesson, wanted: string): LessonloopError {
  const decision = existing.decision;
  const when = decision === undefined ? "" : ` by ${decision.by} at ${decision.at}`;
  const merged = decision?.mergedIn === undefined ? "" : ` (merged in v${decision.mergedIn})`;
  return new LessonloopError(
    "conflict",
    `Lesson "${existing.lesson.id}" was already ${existing.status}${when}${merged}, so it cannot ${wanted}. A decision is final; propose a new lesson instead.`,
    { details: { lessonId: existing.lesson.id, status: existing.status } },
  );
}

/** The record `park` writes, given what is stored under the id now. */
function planPark(existing: PendingLesson | undefined, parsed: z.output<typeof ParkLessonRequestSchema>, now: Date): PendingLesson {
  if (existing !== undefined && existing.status !== "pending") throw alreadyDecided(existing, "be parked again");
  return { ...parsed, status: "pending", parkedAt: now.toISOString() };
}

/** The record `decide` writes, given what is stored under the id now. */
function planDecision(lessonId: string, existing: PendingLesson | undefined, request: PendingLessonDecisionRequest, now: Date): PendingLesson {
  const { status, by, reason, mergedIn } = parseWith(PendingLessonDecisionRequestSchema, request, "decision on a pending lesson");
  if (existing === undefined) throw notParked(lessonId);
  if (existing.status !== "pending") throw alreadyDecided(existing, `be ${status}`);
  const decision: PendingLessonDecision = { by, reason, at: now.toISOString(), ...(mergedIn === undefined ? {} : { mergedIn }) };
  return { ...existing, status, decision };
}

function byParkedAt(a: PendingLesson, b: PendingLesson): number {
  return a.parkedAt === b.parkedAt ? a.lesson.id.localeCompare(b.lesson.id) : a.parkedAt.localeCompare(b.parkedAt);
}

function matches(record: PendingLesson, request: z.output<typeof PendingLessonListRequestSchema>): boolean {
  if (request.status !== undefined && record.status !== request.status) return false;
  return request.scope === undefined || scopeContains(request.scope, record.lesson.scope);
}

/**
 * The rules every `PendingLessonStore` keeps (what may be parked or decided,
 * the order and filters of `list`), over three storage steps an
 * implementation provides. Subclass it for a new backend, as
 * `InMemoryPendingLessonStore` and `ChromaPendingLessonStore` do.
 */
export abstract class PendingLessonStoreBase implements PendingLessonStore {
  readonly #clock: Clock;

  protected constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** The record stored under the lesson id, parsed; `undefined` when there is none. */
  protected abstract read(lessonId: string): Promise<PendingLesson | undefined>;
  /** Stores the record under its lesson id, replacing what is there. */
  protected abstract write(record: PendingLesson): Promise<void>;
  /** Every record that may match the request, parsed; a backend may narrow by status and tenant, the rest is filtered here. */
  protected abstract readAll(request: z.output<typeof PendingLessonListRequestSchema>): Promise<PendingLesson[]>;

  async park(request: ParkLessonRequest): Promise<PendingLesson> {
    const parsed = parseWith(ParkLessonRequestSchema, request, "lesson to park");
    const record = planPark(await this.read(parsed.lesson.id), parsed, this.#clock.now());
    await this.write(record);
    return record;
  }

  async get(lessonId: string): Promise<PendingLesson> {
    const id = parseWith(IdSchema, lessonId, "lesson id");
    const record = await this.read(id);
    if (record === undefined) throw notParked(id);
    return record;
  }

  async list(request: PendingLessonListRequest = {}): Promise<PendingLesson[]> {
    const parsed = parseWith(PendingLessonListRequestSchema, request, "pending lesson list request");
    return (await this.readAll(parsed)).filter((record) => matches(record, parsed)).sort(byParkedAt);
  }

  async decide(lessonId: string, request: PendingLessonDecisionRequest): Promise<PendingLesson> {
    const id = parseWith(IdSchema, lessonId, "lesson id");
    const record = planDecision(id, await this.read(id), request, this.#clock.now());
    await this.write(record);
    return record;
  }
}

export interface InMemoryPendingLessonStoreParams {
  clock?: Clock;
}

/**
 * A `PendingLessonStore` in this process's memory: for tests and single-process
 * use. Records are kept encoded, as a persistent store keeps them, and parsed on read.
 */
export class InMemoryPendingLessonStore extends PendingLessonStoreBase {
  readonly #documents = new Map<string, string>();

  constructor({ clock = systemClock }: InMemoryPendingLessonStoreParams = {}) {
    super(clock);
  }

  protected async read(lessonId: string): Promise<PendingLesson | undefined> {
    const document = this.#documents.get(lessonId);
    return document === undefined ? undefined : decodePendingLesson(document, "pending lesson read from memory");
  }

  protected async write(record: PendingLesson): Promise<void> {
    this.#documents.set(record.lesson.id, encodeRecord(record));
  }

  protected async readAll(): Promise<PendingLesson[]> {
    return [...this.#documents.values()].map((document) => decodePendingLesson(document, "pending lesson read from memory"));
  }
}

/** Parses a stored pending lesson (any readable record format); `corrupt_store` when it does not parse. */
function decodePendingLesson(document: string | null | undefined, what: string): PendingLesson {
  return decodeRecord(PendingLessonSchema, document, what);
}
