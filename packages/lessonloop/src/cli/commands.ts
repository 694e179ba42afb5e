import {
  LessonloopError,
  formatScope,
  type Lesson,
  type LessonMemory,
  type PendingLesson,
  type Scope,
  type Snapshot,
  type SnapshotDiff,
  type Verdict,
} from "@lessonloop/core";
import { scopeContains } from "@lessonloop/core/internal";
import { describeDiff, describeSnapshot, mergeLesson, rollbackTo } from "@lessonloop/snapshot-checkpointer";
import type { ListStatus, MemoryCommand } from "./command-line.js";
import type { MemoryConnection } from "./memory-connection.js";
import { count, evidenceLine, lessonDetail, oneLine, table, verdictCell, verdictSummary, type LessonStanding } from "./render.js";

/** What a command prints: `text` for people, `json` (with `--json`) for scripts. */
export interface CommandOutput {
  text: string;
  json: unknown;
}

type CommandOf<N extends MemoryCommand["name"]> = Extract<MemoryCommand, { name: N }>;

const MAX_REASON = 4_000;
const HISTORY_PAGE = 10_000;

/** Every snapshot up to `upTo` (default: the head), oldest first. */
async function fullHistory(memory: LessonMemory, upTo?: number): Promise<Snapshot[]> {
  const snapshots: Snapshot[] = [];
  let before = upTo === undefined ? undefined : upTo + 1;
  for (;;) {
    const page = await memory.history({ limit: HISTORY_PAGE, before });
    snapshots.push(...page);
    const oldest = page.at(-1);
    if (page.length < HISTORY_PAGE || oldest === undefined || oldest.version === 0) break;
    before = oldest.version;
  }
  return snapshots.reverse();
}

/** For each lesson ever made live up to the end of `history`: the last version at which it became live. */
function lastMadeLive(history: readonly Snapshot[]): Map<string, number> {
  const madeLive = new Map<string, number>();
  for (const snapshot of history) for (const id of snapshot.change.added) madeLive.set(id, snapshot.version);
  return madeLive;
}

/** Lessons live at some version up to `version` but not at it, each as it was when last live. */
async function retiredLessons(memory: LessonMemory, version: number, scope: Scope | undefined): Promise<Lesson[]> {
  const [history, live] = await Promise.all([fullHistory(memory, version), memory.list({ version })]);
  const liveIds = new Set(live.map((lesson) => lesson.id));
  const retired: Lesson[] = [];
  for (const [id, at] of lastMadeLive(history)) {
    if (liveIds.has(id)) continue;
    const lesson = await memory.get(id, { version: at });
    if (scope === undefined || scopeContains(scope, lesson.scope)) retired.push({ ...lesson, status: "retired" });
  }
  return retired.sort((a, b) => a.id.localeCompare(b.id));
}

interface ListedLesson {
  status: "approved" | "pending" | "rejected" | "retired";
  lesson: Lesson;
  verdict?: Verdict;
}

async function list(connection: MemoryConnection, command: CommandOf<"list">): Promise<CommandOutput> {
  const { memory } = connection;
  const head = await memory.headVersion();
  const version = command.version ?? head;
  const wants = (status: ListStatus) => command.status === status || command.status === "all";
  const listed: ListedLesson[] = [];
  if (wants("approved")) {
    const live = await memory.list({ version, scope: command.scope });
    listed.push(...live.map((lesson): ListedLesson => ({ status: "approved", lesson })));
  }
  if (wants("pending") || wants("rejected")) {
    const store = await connection.pendingLessons();
    const records = await store.list({ scope: command.scope });
    for (const record of records) {
      if (record.status === "approved" || !wants(record.status)) continue;
      listed.push({ status: record.status, lesson: record.lesson, ...(record.verdict === undefined ? {} : { verdict: record.verdict }) });
    }
  }
  if (wants("retired")) {
    const seen = new Set(listed.map((entry) => entry.lesson.id));
    for (const lesson of await retiredLessons(memory, version, command.scope)) {
      if (!seen.has(lesson.id)) listed.push({ status: "retired", lesson });
    }
  }

  const at = `v${version}${version === head ? " (live)" : ""}`;
  const scopeText = command.scope === undefined ? "" : ` within ${formatScope(command.scope)}`;
  const what = command.status === "all" ? "lesson" : `${command.status} lesson`;
  const versioned = command.status !== "pending" && command.status !== "rejected";
  const footer = `${count(listed.length, what)}${scopeText} in memory "${connection.name}"${versioned ? ` at ${at}` : ""}.`;
  const text =
    listed.length === 0
      ? `No ${what}s${scopeText} in memory "${connection.name}"${versioned ? ` at ${at}` : ""}.`
      : `${table(
          ["id", "kind", "status", "scope", "trigger"],
          listed.map(({ status, lesson }) => [lesson.id, lesson.kind, status, formatScope(lesson.scope), oneLine(lesson.trigger, 60)]),
        )}\n\n${footer}`;
  return {
    text,
    json: {
      memory: connection.name,
      head,
      version: versioned ? version : null,
      status: command.status,
      scope: command.scope ?? null,
      lessons: listed.map(({ status, lesson }) => ({ status, lesson })),
    },
  };
}

/** The pending-store record of a lesson, or `undefined` if it never went through review. */
async function findReview(connection: MemoryConnection, lessonId: string): Promise<PendingLesson | undefined> {
  const store = await connection.pendingLessons();
  try {
    return await store.get(lessonId);
  } catch (error) {
    if (LessonloopError.isInstance(error, "not_found")) return undefined;
    throw error;
  }
}

async function show(connection: MemoryConnection, command: CommandOf<"show">): Promise<CommandOutput> {
  const { memory } = connection;
  const { lessonId } = command;
  const version = command.version ?? (await memory.headVersion());
  const [history, review, kept] = await Promise.all([
    fullHistory(memory, version),
    findReview(connection, lessonId),
    connection.verdicts().then((store) => store.find(lessonId)),
  ]);
  const verdict = kept ?? review?.verdict;

  let lesson: Lesson | undefined;
  let standing: LessonStanding | undefined;
  try {
    lesson = await memory.get(lessonId, { version });
    standing = { status: "approved", version };
  } catch (error) {
    if (!LessonloopError.isInstance(error, "not_found")) throw error;
    if (command.version !== undefined) throw error;
  }
  if (lesson === undefined) {
    const madeLive = lastMadeLive(history).get(lessonId);
    if (madeLive !== undefined) {
      lesson = { ...(await memory.get(lessonId, { version: madeLive })), status: "retired" };
      const retiredBy = history.find((snapshot) => snapshot.version > madeLive && snapshot.change.retired.includes(lessonId));
      standing = { status: "retired", version, ...(retiredBy === undefined ? {} : { retiredBy }) };
    } else if (review !== undefined && review.status !== "approved") {
      lesson = review.lesson;
      standing = { status: review.status };
    }
  }
  // A tenant's view hides other tenants' lessons behind the same answer as a missing one.
  if (lesson !== undefined && command.scope !== undefined && !scopeContains(command.scope, lesson.scope)) lesson = undefined;
  if (lesson === undefined || standing === undefined) {
    throw new LessonloopError(
      "not_found",
      `No lesson "${lessonId}" in memory "${connection.name}": it is not live at v${version}, was never merged, and does not wait for approval. ` +
        'Run "lessonloop list --status all" for the ids there are.',
      { details: { lessonId, version, memory: connection.name } },
    );
  }
  const merged = [...history].reverse().find((snapshot) => snapshot.kind === "commit" && snapshot.change.added.includes(lessonId));
  const full: LessonStanding = {
    ...standing,
    ...(merged === undefined ? {} : { merged }),
    ...(review === undefined ? {} : { review }),
    ...(verdict === undefined ? {} : { verdict }),
  };
  return {
    text: lessonDetail(lesson, full),
    json: {
      memory: connection.name,
      status: full.status,
      version: full.version ?? null,
      lesson,
      merged: full.merged ?? null,
      retired: full.retiredBy ?? null,
      verdict: full.verdict ?? null,
      review: full.review ?? null,
    },
  };
}

/**
 * A tenant's history: the versions that changed lessons within `scope`, newest
 * first, each with only those lessons' ids. Reasons and evidence are left out:
 * a commit's or rollback's reason may name lessons of other tenants.
 */
async function scopedHistory(connection: MemoryConnection, command: CommandOf<"history"> & { scope: Scope }): Promise<CommandOutput> {
  const { memory } = connection;
  const { scope } = command;
  const head = await memory.headVersion();
  const upTo = command.before === undefined ? head : command.before - 1;
  const snapshots: Snapshot[] = [];
  let older: number | undefined;
  for (const snapshot of upTo < 0 ? [] : (await fullHistory(memory, upTo)).reverse()) {
    if (snapshot.parent === null) continue;
    if (snapshots.length === command.limit) {
      older = snapshots.at(-1)?.version;
      break;
    }
    const change = await memory.diff(snapshot.parent, snapshot.version, { scope });
    if (change.added.length === 0 && change.removed.length === 0) continue;
    // The evidence goes with the reason: it may name other tenants' lessons.
    const { evidence: _evidence, ...shown } = snapshot;
    snapshots.push({
      ...shown,
      change: { added: change.added.map((lesson) => lesson.id), retired: change.removed.map((lesson) => lesson.id) },
      reason: "",
    });
  }
  const where = formatScope(scope);
  const lines = snapshots.map((snapshot) => {
    const kind = snapshot.kind === "rollback" ? `rollback→v${String(snapshot.restores)}` : snapshot.kind;
    const ids = [...snapshot.change.added.map((id) => `+${id}`), ...snapshot.change.retired.map((id) => `−${id}`)].join(" ");
    return `${snapshot.version === head ? "*" : " "} v${snapshot.version}  ${kind}  ${snapshot.createdAt}  ${snapshot.author}  ${ids}`;
  });
  const paging = older === undefined ? "" : `\nOlder: lessonloop history --tenant ${scope.tenant} --before ${older}`;
  const text =
    snapshots.length === 0
      ? `No versions changed lessons within ${where} in memory "${connection.name}".`
      : `History of memory "${connection.name}" within ${where}, newest first (* = live, v${head}):\n${lines.join("\n")}${paging}`;
  return { text, json: { memory: connection.name, head, scope, snapshots } };
}

async function history(connection: MemoryConnection, command: CommandOf<"history">): Promise<CommandOutput> {
  const { scope } = command;
  if (scope !== undefined) return scopedHistory(connection, { ...command, scope });
  const { memory } = connection;
  const [head, snapshots] = await Promise.all([
    memory.headVersion(),
    memory.history({ limit: command.limit, before: command.before }),
  ]);
  const lines = snapshots.map((snapshot) => {
    const line = `${snapshot.version === head ? "*" : " "} ${describeSnapshot(snapshot)}`;
    return snapshot.evidence === undefined ? line : `${line}\n      evidence: ${evidenceLine(snapshot.evidence)}`;
  });
  const more = snapshots.at(-1);
  const paging = more !== undefined && more.version > 0 ? `\nOlder: lessonloop history --before ${more.version}` : "";
  const text =
    snapshots.length === 0
      ? `No snapshots before v${String(command.before)} in memory "${connection.name}".`
      : `History of memory "${connection.name}", newest first (* = live, v${head}):\n${lines.join("\n")}${paging}`;
  return { text, json: { memory: connection.name, head, snapshots } };
}

async function diff(connection: MemoryConnection, command: CommandOf<"diff">): Promise<CommandOutput> {
  const result = await connection.memory.diff(command.from, command.to, { scope: command.scope });
  return { text: describeDiff(result), json: result };
}

/** Lessons a change touched, counted per tenant: `acme +1 −2, globex −1`. */
function changedByTenant(diff: SnapshotDiff): { tenants: Record<string, { added: number; removed: number }>; text: string } {
  const tenants: Record<string, { added: number; removed: number }> = {};
  const entry = (lesson: Lesson) => (tenants[lesson.scope.tenant] ??= { added: 0, removed: 0 });
  for (const lesson of diff.added) entry(lesson).added += 1;
  for (const lesson of diff.removed) entry(lesson).removed += 1;
  const text = Object.entries(tenants)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([tenant, { added, removed }]) => `${tenant} ${[added > 0 ? `+${added}` : "", removed > 0 ? `−${removed}` : ""].filter(Boolean).join(" ")}`)
    .join(", ");
  return { tenants, text };
}

async function rollback(connection: MemoryConnection, command: CommandOf<"rollback">): Promise<CommandOutput> {
  const { scope } = command;
  const result = await rollbackTo(connection.memory, {
    to: command.version,
    scope,
    reason: command.reason,
    author: command.author,
    expectedHead: command.expectHead,
  });
  const { snapshot, diff } = result;
  const changed = diff.added.length + diff.removed.length;
  if (scope !== undefined) {
    return {
      text: `Rolled back the lessons of ${formatScope(scope)} in memory "${connection.name}" to v${command.version}: v${snapshot.version} is live now; no other scope changed.\n${describeDiff(diff)}`,
      json: result,
    };
  }
  // A global rollback says whose lessons it changed: it is the one undo that crosses tenants.
  const byTenant = changedByTenant(diff);
  const tenantCount = Object.keys(byTenant.tenants).length;
  const across = changed === 0 ? "it changed no lessons" : `it changed ${count(changed, "lesson")} of ${count(tenantCount, "tenant")}: ${byTenant.text}`;
  return {
    text: `Rolled back all scopes of memory "${connection.name}" to v${command.version}: v${snapshot.version} is live now; ${across}.\n${describeDiff(diff)}`,
    json: { ...result, changedByTenant: byTenant.tenants },
  };
}

async function revert(connection: MemoryConnection, command: CommandOf<"revert">): Promise<CommandOutput> {
  const { memory } = connection;
  const snapshot = await memory.revert({
    lessons: [command.lessonId],
    scope: command.scope,
    reason: command.reason,
    author: command.author,
    expectedHead: command.expectHead,
  });
  const diff = await memory.diff(snapshot.parent ?? 0, snapshot.version);
  const restored = snapshot.change.added.length === 0 ? "" : `; live again: ${snapshot.change.added.join(", ")}`;
  return {
    text: `Reverted lesson "${command.lessonId}" in memory "${connection.name}": v${snapshot.version} is live now${restored}; later merges stay.\n${describeDiff(diff)}`,
    json: { snapshot, diff },
  };
}

/** Refuses, changing nothing, a review decision on a lesson outside the scope the operator acts in. */
function assertWithin(scope: Scope | undefined, lesson: Lesson, action: string): void {
  if (scope === undefined || scopeContains(scope, lesson.scope)) return;
  throw new LessonloopError(
    "out_of_scope",
    `Lesson "${lesson.id}" belongs to ${formatScope(lesson.scope)}, outside ${formatScope(scope)}; it was not ${action}. Decide it from its own scope.`,
    { details: { lessonId: lesson.id, scope: lesson.scope } },
  );
}

async function pending(connection: MemoryConnection, command: CommandOf<"pending">): Promise<CommandOutput> {
  const store = await connection.pendingLessons();
  const records = await store.list({ status: "pending", scope: command.scope });
  const scopeText = command.scope === undefined ? "" : ` within ${formatScope(command.scope)}`;
  const text =
    records.length === 0
      ? `No lessons wait for approval${scopeText} in memory "${connection.name}".`
      : `${table(
          ["id", "kind", "scope", "verdict", "parked", "trigger"],
          records.map(({ lesson, verdict, parkedAt }) => [lesson.id, lesson.kind, formatScope(lesson.scope), verdictCell(verdict), parkedAt, oneLine(lesson.trigger, 50)]),
        )}\n\n${count(records.length, "lesson")} waiting${scopeText} in memory "${connection.name}". ` +
        "Decide with: lessonloop approve <id> | lessonloop reject <id>";
  return { text, json: { memory: connection.name, lessons: records } };
}

/** Throws `conflict` unless the record still waits for a decision. */
function assertPending(record: PendingLesson, wanted: string): void {
  if (record.status === "pending") return;
  const decision = record.decision;
  const merged = decision?.mergedIn === undefined ? "" : ` (merged in v${decision.mergedIn})`;
  throw new LessonloopError(
    "conflict",
    `Lesson "${record.lesson.id}" was already ${record.status}${decision === undefined ? "" : ` by ${decision.by} at ${decision.at}`}${merged}; it cannot be ${wanted}.`,
    { details: { lessonId: record.lesson.id, status: record.status } },
  );
}

function approvalReason(record: PendingLesson, author: string, reason: string): string {
  const { lesson, verdict, edgeCases } = record;
  const cases = count(edgeCases.length, "edge case");
  const validators = verdict === undefined ? "No validator verdict." : `Validators: ${verdictSummary(verdict)}. ${verdict.reason}`;
  const text = `Approve lesson "${lesson.id}" (${lesson.kind}) with ${cases}, by ${author}: ${reason}. ${validators}`.trimEnd();
  return text.length <= MAX_REASON ? text : `${text.slice(0, MAX_REASON - 1)}…`;
}

async function approve(connection: MemoryConnection, command: CommandOf<"approve">): Promise<CommandOutput> {
  const { memory } = connection;
  const store = await connection.pendingLessons();
  const record = await store.get(command.lessonId);
  assertWithin(command.scope, record.lesson, "approved");
  assertPending(record, "approved");
  const reason = command.reason ?? "approved from the command line";
  const { lesson, verdict, edgeCases } = record;
  // Opened only when there are cases to store: opening creates the collection.
  const edgeStore = edgeCases.length === 0 ? undefined : await connection.edgeCases(command.edgeCases);

  // The merge node's path; safe to repeat after an approval that committed but could not record its decision.
  const { snapshot } = await mergeLesson(memory, {
    lesson,
    reason: approvalReason(record, command.author, reason),
    author: command.author,
    verdict,
    approvedBy: command.author,
    edgeCases,
    edgeCaseStore: edgeStore,
  });
  if (verdict !== undefined) await (await connection.verdicts()).put(verdict);
  const decided = await store.decide(lesson.id, { status: "approved", by: command.author, reason, mergedIn: snapshot.version });

  const cases = edgeStore === undefined ? "" : ` with ${count(edgeCases.length, "edge case")} (collection ${edgeStore.collectionName})`;
  return {
    text: `Approved lesson "${lesson.id}": merged in v${snapshot.version}${cases}.\n${describeSnapshot(snapshot)}`,
    json: { lessonId: lesson.id, status: "approved", snapshot, edgeCases: edgeCases.length, review: decided },
  };
}

async function reject(connection: MemoryConnection, command: CommandOf<"reject">): Promise<CommandOutput> {
  const store = await connection.pendingLessons();
  const record = await store.get(command.lessonId);
  assertWithin(command.scope, record.lesson, "rejected");
  assertPending(record, "rejected");
  const decided = await store.decide(command.lessonId, {
    status: "rejected",
    by: command.author,
    reason: command.reason ?? "rejected from the command line",
  });
  const head = await connection.memory.headVersion();
  return {
    text: `Rejected lesson "${command.lessonId}"; memory "${connection.name}" is unchanged (live: v${head}). It stays on record: lessonloop show ${command.lessonId}`,
    json: { lessonId: command.lessonId, status: "rejected", head, review: decided },
  };
}

/** Runs one parsed command on an open memory. Errors are `LessonloopError`s from the stores. */
export function runCommand(connection: MemoryConnection, command: MemoryCommand): Promise<CommandOutput> {
  switch (command.name) {
    case "list":
      return list(connection, command);
    case "show":
      return show(connection, command);
    case "history":
      return history(connection, command);
    case "diff":
      return diff(connection, command);
    case "rollback":
      return rollback(connection, command);
    case "revert":
      return revert(connection, command);
    case "pending":
      return pending(connection, command);
    case "approve":
      return approve(connection, command);
    case "reject":
      return reject(connection, command);
  }
}
