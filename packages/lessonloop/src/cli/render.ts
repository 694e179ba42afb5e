import { formatScope, type Lesson, type PendingLesson, type Snapshot, type SnapshotEvidence, type Verdict, type Vote } from "@lessonloop/core";

/** The first line of `text`, cut to `max` characters with an ellipsis. */
export function oneLine(text: string, max: number): string {
  const [first = ""] = text.trim().split("\n", 1);
  return first.length <= max ? first : `${first.slice(0, Math.max(0, max - 1))}…`;
}

/** A plain-text table: upper-case headers, columns padded to their widest cell, two spaces apart. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(headers.map((header) => header.toUpperCase())), ...rows.map(line)].join("\n");
}

const rate = (value: number | null) => (value === null ? "n/a" : `${(value * 100).toFixed(1)}%`);

/**
 * An automatic undo's evidence on one line, e.g.
 * `v1 40/50 (80.0%) → v2 8/20 (40.0%), one-sided Fisher exact p=0.00123 ≤ 0.0250 at look 0, runs in acme; took out suspect`.
 */
export function evidenceLine(evidence: SnapshotEvidence): string {
  const { before, after, pValue, lookAlpha, look, scope, lessons } = evidence;
  const runs = scope === undefined ? "all runs" : `runs in ${formatScope(scope)}`;
  const shown = lessons.slice(0, 10).join(", ") + (lessons.length > 10 ? ` and ${lessons.length - 10} more` : "");
  return (
    `v${before.version} ${before.successes}/${before.episodes} (${rate(before.rate)}) → v${after.version} ${after.successes}/${after.episodes} (${rate(after.rate)}), ` +
    `one-sided Fisher exact p=${pValue === null ? "n/a" : pValue.toPrecision(3)} ≤ ${lookAlpha.toPrecision(3)} at look ${look}, ${runs}; took out ${shown || "no lessons"}`
  );
}

/** `2 approve / 0 reject / 1 abstain` */
export function tallyText(verdict: Verdict): string {
  const { approve, reject, abstain } = verdict.tally;
  return `${approve} approve / ${reject} reject / ${abstain} abstain`;
}

/** `approved under majority (quorum 2, threshold 0.5): 2 approve / 0 reject / 1 abstain` */
export function verdictSummary(verdict: Verdict): string {
  const { policy } = verdict;
  return `${verdict.decision} under ${policy.name} (quorum ${policy.quorum}, threshold ${policy.threshold}): ${tallyText(verdict)}`;
}

/** A short cell for tables: `approved 2-0-1` (approve-reject-abstain), or `—`. */
export function verdictCell(verdict: Verdict | undefined): string {
  if (verdict === undefined) return "—";
  const { approve, reject, abstain } = verdict.tally;
  return `${verdict.decision} ${approve}-${reject}-${abstain}`;
}

const passText = (passed: boolean | null) => (passed === null ? "not run" : passed ? "pass" : "fail");

function voteLines(vote: Vote): string[] {
  const model = vote.model === undefined ? "" : ` (${vote.model})`;
  const lines = [`  ${vote.validator}${model}: ${vote.decision} — ${oneLine(vote.reason, 160) || "no reason given"}`];
  for (const evidence of vote.evidence) {
    const note = evidence.note === undefined ? "" : `  ${oneLine(evidence.note, 100)}`;
    const without = evidence.withoutSkipped === true ? "not needed" : passText(evidence.passedWithout);
    lines.push(`    case ${evidence.caseId}: without lesson ${without}, with lesson ${passText(evidence.passedWith)}${note}`);
  }
  return lines;
}

function field(label: string, value: string): string {
  return `  ${label.padEnd(12)}${value}`;
}

/** Where a lesson stands, as `show` found it. */
export interface LessonStanding {
  /** `approved` = live at `version`; `retired` = live once, not at `version`. */
  status: "approved" | "retired" | "pending" | "rejected";
  /** The memory version the lesson was read at (absent for a lesson never merged). */
  version?: number;
  /** The snapshot that merged it (the latest commit adding it, at or before `version`). */
  merged?: Snapshot;
  /** For a retired lesson: the snapshot that took it out. */
  retiredBy?: Snapshot;
  /** Its record in the pending-lesson store, when it went through human review. */
  review?: PendingLesson;
  /** The validators' verdict, when one was kept. */
  verdict?: Verdict;
}

function snapshotLine(snapshot: Snapshot): string {
  return `v${snapshot.version} by ${snapshot.author} at ${snapshot.createdAt} — ${oneLine(snapshot.reason, 120)}`;
}

/** The full text of `lessonloop show`. */
export function lessonDetail(lesson: Lesson, standing: LessonStanding): string {
  const where =
    standing.status === "approved"
      ? `live at v${String(standing.version)}`
      : standing.status === "retired"
        ? `not live at v${String(standing.version)}`
        : standing.status === "pending"
          ? "waiting for approval"
          : "not in memory";
  const { provenance } = lesson;
  const lines = [
    `Lesson ${lesson.id} — ${standing.status}, ${where}`,
    field("kind", lesson.kind),
    field("scope", formatScope(lesson.scope)),
    field("trigger", lesson.trigger),
    field("guidance", lesson.guidance),
    field("rationale", lesson.rationale === "" ? "—" : lesson.rationale),
    field("tags", lesson.tags.length === 0 ? "—" : lesson.tags.join(", ")),
    field("supersedes", lesson.supersedes.length === 0 ? "—" : lesson.supersedes.join(", ")),
    field("evidence", lesson.evidence.length === 0 ? "—" : `episodes ${lesson.evidence.join(", ")}`),
    field("provenance", `proposed by ${provenance.agent} (model ${provenance.model}) at ${provenance.proposedAt}`),
    ...(provenance.repairOf === undefined ? [] : [field("repair of", `${provenance.repairOf} (rejected by the validators; this lesson narrows it)`)]),
    field("created", lesson.createdAt),
  ];
  if (standing.merged !== undefined || standing.retiredBy !== undefined) {
    lines.push("", "Memory");
    if (standing.merged !== undefined) lines.push(field("merged", snapshotLine(standing.merged)));
    if (standing.retiredBy !== undefined) lines.push(field("retired", snapshotLine(standing.retiredBy)));
    if (standing.retiredBy?.evidence !== undefined) lines.push(field("regression", evidenceLine(standing.retiredBy.evidence)));
  }
  const { review } = standing;
  if (review !== undefined) {
    lines.push("", "Review");
    lines.push(field("parked", `${review.parkedAt}${review.note === "" ? "" : ` — ${review.note}`}`));
    const decision = review.decision;
    if (decision === undefined) lines.push(field("status", "pending: approve or reject it"));
    else {
      const merged = decision.mergedIn === undefined ? "" : `, merged in v${decision.mergedIn}`;
      lines.push(field("status", `${review.status} by ${decision.by} at ${decision.at}${merged} — ${decision.reason}`));
    }
    lines.push(
      field(
        "edge cases",
        review.edgeCases.length === 0 ? "—" : review.edgeCases.map((edgeCase) => `${edgeCase.id} (${edgeCase.kind})`).join(", "),
      ),
    );
  }
  const { verdict } = standing;
  lines.push("");
  if (verdict === undefined) lines.push("Verdict: none kept for this lesson.");
  else {
    lines.push(`Verdict: ${verdictSummary(verdict)}`, field("decided", verdict.decidedAt));
    if (verdict.reason !== "") lines.push(field("reason", oneLine(verdict.reason, 200)));
    lines.push("Votes");
    if (verdict.votes.length === 0) lines.push("  —");
    for (const vote of verdict.votes) lines.push(...voteLines(vote));
  }
  return lines.join("\n");
}

/** `3 lessons` / `1 lesson` */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
