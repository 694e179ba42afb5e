import { ChromaLessonMemory } from "@lessonloop/chroma";
import { LessonloopError, createLexicalEmbedder, type Snapshot } from "@lessonloop/core";
import type { SeededRandom } from "@lessonloop/core/testing";

/** A write its writer saw succeed: it must be in history, exactly as acknowledged. */
export interface AckedWrite {
  version: number;
  kind: "commit" | "rollback";
  /** Lessons its snapshot made live: those a commit added, those a rollback brought back. */
  added: readonly string[];
}

export interface ConsistencyReport {
  head: number;
  /** Everything found wrong; empty when memory is exactly at a snapshot that was written whole. */
  problems: string[];
  commits: number;
  rollbacks: number;
  /** Lesson ids added by commits, counted once each. */
  lessonsMerged: number;
  /** Lesson ids a commit added although an earlier commit of the same lineage had added them. */
  duplicateAdds: number;
  /** Acknowledged writes missing from history (lost updates). */
  lostWrites: number;
}

export interface CheckMemoryParams {
  url: string;
  /** The memory's name. */
  name: string;
  /** Writes acknowledged to their writers. */
  acked?: readonly AckedWrite[];
  /** Earlier versions to check by time travel, besides the head. */
  sampleVersions?: number;
  random: SeededRandom;
}

const sorted = (ids: Iterable<string>) => [...ids].sort();
const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((id, index) => id === b[index]);

/** The live lesson ids of every version, by replaying history: a commit adds and retires, a rollback restores. */
export function liveSets(history: readonly Snapshot[]): Set<string>[] {
  const live: Set<string>[] = [];
  for (const snapshot of history) {
    if (snapshot.kind === "genesis") live.push(new Set());
    else if (snapshot.kind === "rollback") live.push(new Set(live[snapshot.restores ?? -1] ?? []));
    else {
      const next = new Set(live[snapshot.version - 1] ?? []);
      for (const id of snapshot.change.added) next.add(id);
      for (const id of snapshot.change.retired) next.delete(id);
      live.push(next);
    }
  }
  return live;
}

/**
 * Opens the memory afresh (as a restarted process would) and checks that it is
 * exactly at a snapshot that was written whole: history contiguous and linear,
 * every lesson listed, searched or read live at its version and no other, no
 * lesson added twice in a lineage, every acknowledged write present.
 */
export async function checkMemoryConsistency({ url, name, acked = [], sampleVersions = 3, random }: CheckMemoryParams): Promise<ConsistencyReport> {
  const problems: string[] = [];
  const report: ConsistencyReport = { head: -1, problems, commits: 0, rollbacks: 0, lessonsMerged: 0, duplicateAdds: 0, lostWrites: 0 };
  let memory: ChromaLessonMemory;
  let history: Snapshot[];
  try {
    memory = await ChromaLessonMemory.open({ url, name, embedder: createLexicalEmbedder(), freshnessMs: 0, cacheSize: 0 });
    history = (await memory.history({ limit: 10_000 })).reverse();
  } catch (error) {
    problems.push(`memory does not open: ${LessonloopError.isInstance(error) ? `${error.code}: ${error.message}` : String(error)}`);
    return report;
  }
  report.head = history.length - 1;
  history.forEach((snapshot, index) => {
    if (snapshot.version !== index) problems.push(`history is not contiguous at position ${index} (version ${snapshot.version})`);
    if (index > 0 && snapshot.parent !== index - 1) problems.push(`version ${index} names parent ${String(snapshot.parent)}`);
  });
  const live = liveSets(history);
  const addedInLineage: Set<string>[] = [];
  const merged = new Set<string>();
  for (const snapshot of history) {
    const before = snapshot.kind === "rollback" ? addedInLineage[snapshot.restores ?? -1] : addedInLineage[snapshot.version - 1];
    const seen = new Set(before ?? []);
    if (snapshot.kind === "commit") {
      report.commits += 1;
      for (const id of snapshot.change.added) {
        if (seen.has(id)) report.duplicateAdds += 1;
        seen.add(id);
        merged.add(id);
      }
    }
    if (snapshot.kind === "rollback") report.rollbacks += 1;
    addedInLineage.push(seen);
  }
  report.lessonsMerged = merged.size;
  if (report.duplicateAdds > 0) problems.push(`${report.duplicateAdds} lesson(s) added twice in one lineage`);

  for (const write of acked) {
    const snapshot = history[write.version];
    if (snapshot === undefined || snapshot.kind !== write.kind || !same(sorted(snapshot.change.added), sorted(write.added))) {
      report.lostWrites += 1;
      problems.push(`acknowledged ${write.kind} at version ${write.version} is not in history as acknowledged`);
    }
  }

  const versions = new Set([report.head]);
  for (let index = 0; index < sampleVersions && report.head > 0; index++) versions.add(random.int(0, report.head));
  for (const version of versions) {
    const expected = sorted(live[version] ?? []);
    const listed = (await memory.list({ version })).map((lesson) => lesson.id);
    if (new Set(listed).size !== listed.length) problems.push(`version ${version}: a lesson is listed twice`);
    if (!same(sorted(listed), expected)) {
      const extra = listed.filter((id) => !(live[version] ?? new Set()).has(id));
      const missing = expected.filter((id) => !listed.includes(id));
      problems.push(`version ${version}: listed lessons differ from its snapshot history (extra ${extra.slice(0, 5).join(", ") || "none"}; missing ${missing.slice(0, 5).join(", ") || "none"})`);
    }
  }
  const headLive = live[report.head] ?? new Set<string>();
  const searched = await memory.search({ query: "when the writer commits a lesson", scope: { tenant: "acme" }, k: 100 });
  const strays = searched.filter((result) => !headLive.has(result.lesson.id));
  if (strays.length > 0) problems.push(`search returned ${strays.length} lesson(s) not live at the head, e.g. ${strays[0]?.lesson.id}`);
  for (const id of sorted(headLive).slice(0, 5)) {
    await memory.get(id).catch((error: unknown) => problems.push(`get("${id}") failed: ${String(error)}`));
  }
  return report;
}
