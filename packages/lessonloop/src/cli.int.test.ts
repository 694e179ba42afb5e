import { ChromaEdgeCaseStore, ChromaLessonMemory, ChromaPendingLessonStore, ChromaVerdictStore, startChroma } from "@lessonloop/chroma";
import { testChromaUrl, uniqueCollectionName } from "@lessonloop/chroma/testing";
import { createLexicalEmbedder, type Lesson, type Snapshot } from "@lessonloop/core";
import { lessonFixture } from "@lessonloop/core/conformance";
import { describe, expect, it } from "vitest";
import { runCli } from "./cli.js";
import { edgeCaseFixture, verdictFor } from "./tests/review-fixtures.js";

interface Result {
  code: number;
  out: string;
  err: string;
}

async function cli(argv: string[], env: Record<string, string | undefined> = { CHROMA_URL: testChromaUrl(), USER: "tester" }): Promise<Result> {
  let out = "";
  let err = "";
  const code = await runCli(argv, {
    stdout: { write: (chunk: string) => (out += chunk) },
    stderr: { write: (chunk: string) => (err += chunk) },
    env,
  });
  return { code, out, err };
}

/** The parsed `--json` output of a successful command. */
async function cliJson<T>(argv: string[]): Promise<T> {
  const result = await cli([...argv, "--json"]);
  expect(result, result.err).toMatchObject({ code: 0, err: "" });
  return JSON.parse(result.out) as T;
}

/** The `{ error }` of a failed `--json` command, with its exit code. */
async function cliError(argv: string[], env?: Record<string, string | undefined>): Promise<{ code: number; error: { code: string; message: string } }> {
  const result = await cli([...argv, "--json"], env);
  expect(result.out).toBe("");
  return { code: result.code, ...(JSON.parse(result.err) as { error: { code: string; message: string } }) };
}

/**
 * A memory with three versions — v1 adds `refund-retry` (acme/agent:billing),
 * v2 adds `ask-order-id` (acme) and `globex-tone` (globex) — a kept verdict
 * for `refund-retry`, and two lessons waiting for approval.
 */
async function seedMemory(): Promise<string> {
  const url = testChromaUrl();
  const name = uniqueCollectionName("cli");
  const memory = await ChromaLessonMemory.open({ url, name, embedder: createLexicalEmbedder() });
  await memory.commit({
    add: [
      lessonFixture("refund-retry", {
        scope: { tenant: "acme", agent: "billing" },
        trigger: "The refund tool times out",
        guidance: "Retry once with a smaller batch, then tell the user.",
        evidence: ["ep-7", "ep-9"],
      }),
    ],
    reason: 'Merge lesson "refund-retry": approved under majority, 2 approve / 0 reject / 1 abstain.',
    author: "validator-ensemble",
  });
  await memory.commit({
    add: [
      lessonFixture("ask-order-id", { kind: "strategy", trigger: "A customer asks about an order without its id" }),
      lessonFixture("globex-tone", { kind: "preference", scope: { tenant: "globex" } }),
    ],
    reason: "Merge two lessons",
    author: "validator-ensemble",
  });
  await (await ChromaVerdictStore.open({ url, memory: name })).put(verdictFor("refund-retry"));
  const pending = await ChromaPendingLessonStore.open({ url, memory: name });
  await pending.park({
    lesson: lessonFixture("escalate-angry", { kind: "preference", trigger: "The customer is angry", guidance: "Offer a human agent." }),
    verdict: verdictFor("escalate-angry"),
    edgeCases: [edgeCaseFixture("angry-refund")],
    note: "preference lessons need a human",
  });
  await pending.park({ lesson: lessonFixture("always-discount", { trigger: "Any complaint" }) });
  return name;
}

let seeded: Promise<string> | undefined;
/** One seeded memory shared by the tests that never write to it. */
const readOnlyMemory = () => (seeded ??= seedMemory());

describe("lessonloop CLI: reading", () => {
  it("list prints a table of live lessons with their columns, and --json for scripts", async () => {
    const memory = await readOnlyMemory();
    const { code, out, err } = await cli(["list", "--memory", memory]);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    const lines = out.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+KIND\s+STATUS\s+SCOPE\s+TRIGGER$/);
    expect(lines[1]).toMatch(/^ask-order-id\s+strategy\s+approved\s+acme\s+A customer asks about an order without its id$/);
    expect(lines[2]).toMatch(/^globex-tone\s+preference\s+approved\s+globex\s+when globex-tone happens$/);
    expect(lines[3]).toMatch(/^refund-retry\s+recovery\s+approved\s+acme\/agent:billing\s+The refund tool times out$/);
    // Columns line up: every row's KIND starts where the header's does.
    const kindAt = lines[0]?.indexOf("KIND");
    for (const line of lines.slice(1, 4)) expect(line.search(/(strategy|preference|recovery)/)).toBe(kindAt);
    expect(out).toContain(`3 approved lessons in memory "${memory}" at v2 (live).`);

    const json = await cliJson<{ head: number; version: number; lessons: { status: string; lesson: Lesson }[] }>(["list", "--memory", memory]);
    expect(json.head).toBe(2);
    expect(json.version).toBe(2);
    expect(json.lessons.map((entry) => [entry.lesson.id, entry.status])).toEqual([
      ["ask-order-id", "approved"],
      ["globex-tone", "approved"],
      ["refund-retry", "approved"],
    ]);
    expect(json.lessons[2]?.lesson.evidence).toEqual(["ep-7", "ep-9"]);
  });

  it("list filters by scope, version and status", async () => {
    const memory = await readOnlyMemory();
    const ids = async (...argv: string[]) =>
      (await cliJson<{ lessons: { status: string; lesson: Lesson }[] }>(["list", "--memory", memory, ...argv])).lessons.map(
        (entry) => `${entry.lesson.id}:${entry.status}`,
      );
    expect(await ids("--tenant", "acme")).toEqual(["ask-order-id:approved", "refund-retry:approved"]);
    expect(await ids("--tenant", "acme", "--agent", "billing")).toEqual(["refund-retry:approved"]);
    expect(await ids("--version", "1")).toEqual(["refund-retry:approved"]);
    expect(await ids("--version", "0")).toEqual([]);
    expect(await ids("--status", "pending")).toEqual(["escalate-angry:pending", "always-discount:pending"]);
    expect(await ids("--status", "rejected")).toEqual([]);
    expect(await ids("--status", "retired")).toEqual([]);
    expect(await ids("--status", "all", "--tenant", "globex")).toEqual(["globex-tone:approved"]);

    const empty = await cli(["list", "--memory", memory, "--tenant", "initech"]);
    expect(empty.out).toBe(`No approved lessons within initech in memory "${memory}" at v2 (live).\n`);
  });

  it("show prints a lesson with its evidence, provenance, merge snapshot and the verdict's votes", async () => {
    const memory = await readOnlyMemory();
    const { code, out } = await cli(["show", "refund-retry", "--memory", memory]);
    expect(code).toBe(0);
    expect(out).toContain("Lesson refund-retry — approved, live at v2");
    expect(out).toMatch(/guidance\s+Retry once with a smaller batch, then tell the user\./);
    expect(out).toMatch(/evidence\s+episodes ep-7, ep-9/);
    expect(out).toMatch(/provenance\s+proposed by tester \(model scripted\) at 2026-01-01T00:00:00.000Z/);
    expect(out).toMatch(/merged\s+v1 by validator-ensemble at .* — Merge lesson "refund-retry"/);
    expect(out).toContain("Verdict: approved under majority (quorum 2, threshold 0.5): 2 approve / 0 reject / 1 abstain");
    expect(out).toContain("alpha (scripted): approve — replayed the refund case");
    expect(out).toContain("case case-1: without lesson fail, with lesson pass");

    const json = await cliJson<{ status: string; version: number; lesson: Lesson; merged: Snapshot; verdict: { votes: unknown[] }; review: null }>([
      "show",
      "refund-retry",
      "--memory",
      memory,
    ]);
    expect(json).toMatchObject({ status: "approved", version: 2, lesson: { id: "refund-retry", status: "approved" }, merged: { version: 1 }, review: null });
    expect(json.verdict.votes).toHaveLength(1);

    // A lesson without a kept verdict says so; a pending one shows its review and edge cases.
    expect((await cli(["show", "ask-order-id", "--memory", memory])).out).toContain("Verdict: none kept for this lesson.");
    const parked = await cli(["show", "escalate-angry", "--memory", memory]);
    expect(parked.out).toContain("Lesson escalate-angry — pending, waiting for approval");
    expect(parked.out).toMatch(/edge cases\s+angry-refund \(must_pass\)/);
    expect(parked.out).toMatch(/parked\s+.* — preference lessons need a human/);
  });

  it("show --version reads the lesson as it was; a lesson not live then is not_found", async () => {
    const memory = await readOnlyMemory();
    expect((await cliJson<{ version: number }>(["show", "refund-retry", "--version", "1", "--memory", memory])).version).toBe(1);
    const missing = await cliError(["show", "ask-order-id", "--version", "1", "--memory", memory]);
    expect(missing).toMatchObject({ code: 1, error: { code: "not_found" } });
    expect(missing.error.message).toMatch(/No lesson "ask-order-id" is live at version 1/);
  });

  it("history lists snapshots newest first, marks the live one, and pages", async () => {
    const memory = await readOnlyMemory();
    const { out } = await cli(["history", "--memory", memory]);
    const lines = out.trimEnd().split("\n");
    expect(lines[0]).toBe(`History of memory "${memory}", newest first (* = live, v2):`);
    expect(lines[1]).toMatch(/^\* v2 {2}commit {2}\S+ {2}validator-ensemble {2}\+2 −0 {2}Merge two lessons$/);
    expect(lines[2]).toMatch(/^ {2}v1 {2}commit .* \+1 −0 {2}Merge lesson "refund-retry"/);
    expect(lines[3]).toMatch(/^ {2}v0 {2}genesis/);

    const limited = await cli(["history", "--limit", "1", "--memory", memory]);
    expect(limited.out).toContain("Older: lessonloop history --before 2");
    const json = await cliJson<{ head: number; snapshots: Snapshot[] }>(["history", "--before", "2", "--memory", memory]);
    expect(json.head).toBe(2);
    expect(json.snapshots.map((snapshot) => snapshot.version)).toEqual([1, 0]);
  });

  it("diff shows the lessons added and removed between two versions", async () => {
    const memory = await readOnlyMemory();
    const { out } = await cli(["diff", "1", "2", "--memory", memory]);
    expect(out).toMatch(/^v1 → v2: 2 added, 0 removed\n\+ ask-order-id {2}\[strategy\] {2}when A customer asks/);
    const back = await cliJson<{ from: number; to: number; added: Lesson[]; removed: Lesson[] }>(["diff", "2", "0", "--memory", memory]);
    expect(back.added).toEqual([]);
    expect(back.removed.map((lesson) => lesson.id)).toEqual(["ask-order-id", "globex-tone", "refund-retry"]);
  });

  it("pending lists the lessons that wait for approval with their verdicts", async () => {
    const memory = await readOnlyMemory();
    const { out } = await cli(["pending", "--memory", memory]);
    const lines = out.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+KIND\s+SCOPE\s+VERDICT\s+PARKED\s+TRIGGER$/);
    expect(lines[1]).toMatch(/^escalate-angry\s+preference\s+acme\s+approved 2-0-1\s+\S+Z\s+The customer is angry$/);
    expect(lines[2]).toMatch(/^always-discount\s+recovery\s+acme\s+—\s+\S+Z\s+Any complaint$/);
    expect(out).toContain("2 lessons waiting");
    const json = await cliJson<{ lessons: { lesson: Lesson; status: string; edgeCases: unknown[] }[] }>(["pending", "--memory", memory]);
    expect(json.lessons.map((record) => [record.lesson.id, record.status, record.edgeCases.length])).toEqual([
      ["escalate-angry", "pending", 1],
      ["always-discount", "pending", 0],
    ]);
    expect((await cli(["pending", "--tenant", "globex", "--memory", memory])).out).toBe(`No lessons wait for approval within globex in memory "${memory}".\n`);
  });
});

describe("lessonloop CLI: writing", () => {
  it("a global rollback needs --all-scopes, makes an earlier version live as a new snapshot and says whose lessons it changed", async () => {
    const memory = await seedMemory();
    expect(await cliError(["rollback", "1", "--reason", "v2 broke refunds", "--memory", memory])).toMatchObject({ code: 2, error: { message: expect.stringMatching(/--all-scopes/) } });
    const { code, out } = await cli(["rollback", "1", "--all-scopes", "--reason", "v2 broke refunds", "--memory", memory]);
    expect(code).toBe(0);
    expect(out).toMatch(/^Rolled back all scopes of memory ".*" to v1: v3 is live now; it changed 2 lessons of 2 tenants: acme −1, globex −1\.\nv2 → v3: 0 added, 2 removed\n− ask-order-id/);
    const listed = await cliJson<{ head: number; lessons: { lesson: Lesson }[] }>(["list", "--memory", memory]);
    expect(listed.head).toBe(3);
    expect(listed.lessons.map((entry) => entry.lesson.id)).toEqual(["refund-retry"]);
    const retired = await cliJson<{ lessons: { status: string; lesson: Lesson }[] }>(["list", "--status", "retired", "--memory", memory]);
    expect(retired.lessons.map((entry) => `${entry.lesson.id}:${entry.status}`)).toEqual(["ask-order-id:retired", "globex-tone:retired"]);
    const shown = await cli(["show", "ask-order-id", "--memory", memory]);
    expect(shown.out).toContain("Lesson ask-order-id — retired, not live at v3");
    expect(shown.out).toMatch(/retired\s+v3 by tester at .* — v2 broke refunds/);

    const json = await cliJson<{ snapshot: Snapshot; diff: { removed: Lesson[] } }>(["rollback", "2", "--all-scopes", "--reason", "undo", "--author", "ops", "--memory", memory]);
    expect(json.snapshot).toMatchObject({ version: 4, kind: "rollback", restores: 2, author: "ops", reason: "undo" });
    expect((await cliJson<{ snapshots: Snapshot[] }>(["history", "--limit", "1", "--memory", memory])).snapshots[0]?.version).toBe(4);
  });

  it("rollback refuses a bad version, the live version, and a stale --expect-head", async () => {
    const memory = await seedMemory();
    expect(await cliError(["rollback", "9", "--all-scopes", "--reason", "x", "--memory", memory])).toMatchObject({ code: 1, error: { code: "invalid_rollback" } });
    expect(await cliError(["rollback", "2", "--tenant", "acme", "--reason", "x", "--memory", memory])).toMatchObject({ code: 1, error: { code: "invalid_rollback" } });
    expect(await cliError(["rollback", "1", "--all-scopes", "--reason", "x", "--expect-head", "1", "--memory", memory])).toMatchObject({
      code: 1,
      error: { code: "conflict" },
    });
    expect((await cliJson<{ head: number }>(["list", "--memory", memory])).head).toBe(2);
  });

  it("rollback --tenant rolls back that tenant's lessons only", async () => {
    const memory = await seedMemory();
    const { code, out } = await cli(["rollback", "1", "--tenant", "acme", "--reason", "ask-order-id hurt acme", "--memory", memory]);
    expect(code).toBe(0);
    expect(out).toMatch(/^Rolled back the lessons of acme in memory ".*" to v1: v3 is live now; no other scope changed\.\nv2 → v3: 0 added, 1 removed\n− ask-order-id/);
    const listed = await cliJson<{ lessons: { lesson: Lesson }[] }>(["list", "--memory", memory]);
    expect(listed.lessons.map((entry) => entry.lesson.id)).toEqual(["globex-tone", "refund-retry"]);
    expect((await cli(["history", "--limit", "1", "--memory", memory])).out).toMatch(/v3\s+rollback→v1 \(acme\)/);
  });

  it("revert takes one lesson out, later merges stay, and refuses a lesson outside --tenant", async () => {
    const memory = await seedMemory();
    const outside = await cliError(["revert", "globex-tone", "--tenant", "acme", "--reason", "x", "--memory", memory]);
    expect(outside).toMatchObject({ code: 1, error: { code: "out_of_scope", message: expect.stringMatching(/globex-tone.*globex, outside acme/) } });
    expect((await cliJson<{ head: number }>(["list", "--memory", memory])).head).toBe(2);
    const { code, out } = await cli(["revert", "refund-retry", "--tenant", "acme", "--reason", "retries double refunds", "--memory", memory]);
    expect(code).toBe(0);
    expect(out).toMatch(/^Reverted lesson "refund-retry" in memory ".*": v3 is live now; later merges stay\.\nv2 → v3: 0 added, 1 removed\n− refund-retry/);
    const listed = await cliJson<{ lessons: { lesson: Lesson }[] }>(["list", "--memory", memory]);
    expect(listed.lessons.map((entry) => entry.lesson.id)).toEqual(["ask-order-id", "globex-tone"]);
    expect(await cliError(["revert", "refund-retry", "--reason", "again", "--memory", memory])).toMatchObject({ code: 1, error: { code: "not_found" } });
  });

  it("approve and reject refuse a pending lesson outside --tenant and leave it pending", async () => {
    const memory = await seedMemory();
    expect(await cliError(["approve", "escalate-angry", "--tenant", "globex", "--memory", memory])).toMatchObject({ code: 1, error: { code: "out_of_scope" } });
    expect(await cliError(["reject", "escalate-angry", "--tenant", "globex", "--memory", memory])).toMatchObject({ code: 1, error: { code: "out_of_scope" } });
    const pending = await cliJson<{ lessons: { lesson: Lesson; status: string }[] }>(["pending", "--memory", memory]);
    expect(pending.lessons.map((record) => `${record.lesson.id}:${record.status}`)).toContain("escalate-angry:pending");
    expect((await cliJson<{ head: number }>(["list", "--memory", memory])).head).toBe(2);
    expect((await cli(["reject", "escalate-angry", "--tenant", "acme", "--memory", memory])).code).toBe(0);
  });

  it("approve commits the pending lesson and its edge cases as one snapshot, keeps the verdict, and leaves the pending list", async () => {
    const memory = await seedMemory();
    const { code, out } = await cli(["approve", "escalate-angry", "--reason", "checked with support", "--author", "ana", "--memory", memory]);
    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`^Approved lesson "escalate-angry": merged in v3 with 1 edge case \\(collection ${memory}-edge-cases\\)\\.`));

    const history = await cliJson<{ snapshots: Snapshot[] }>(["history", "--limit", "1", "--memory", memory]);
    const snapshot = history.snapshots[0];
    expect(snapshot).toMatchObject({ version: 3, kind: "commit", author: "ana", change: { added: ["escalate-angry"], retired: [] } });
    expect(snapshot?.reason).toMatch(/^Approve lesson "escalate-angry" \(preference\) with 1 edge case, by ana: checked with support\. /);
    expect(snapshot?.reason).toContain("Validators: approved under majority (quorum 2, threshold 0.5): 2 approve / 0 reject / 1 abstain.");

    const live = await cliJson<{ lessons: { lesson: Lesson }[] }>(["list", "--memory", memory]);
    expect(live.lessons.map((entry) => entry.lesson.id)).toContain("escalate-angry");
    const edgeCases = await ChromaEdgeCaseStore.open({ url: testChromaUrl(), collection: `${memory}-edge-cases`, embedder: createLexicalEmbedder() });
    expect((await edgeCases.get("angry-refund")).input).toBe("refund order angry-refund");

    const pending = await cliJson<{ lessons: { lesson: Lesson }[] }>(["pending", "--memory", memory]);
    expect(pending.lessons.map((record) => record.lesson.id)).toEqual(["always-discount"]);

    const shown = await cliJson<{ status: string; verdict: { decision: string }; review: { status: string; decision: { by: string; mergedIn: number } } }>([
      "show",
      "escalate-angry",
      "--memory",
      memory,
    ]);
    expect(shown).toMatchObject({ status: "approved", verdict: { decision: "approved" }, review: { status: "approved", decision: { by: "ana", mergedIn: 3 } } });
    await expect((await ChromaVerdictStore.open({ url: testChromaUrl(), memory })).find("escalate-angry")).resolves.toMatchObject({ lessonId: "escalate-angry" });

    const again = await cliError(["approve", "escalate-angry", "--memory", memory]);
    expect(again).toMatchObject({ code: 1, error: { code: "conflict" } });
    expect(again.error.message).toMatch(/already approved by ana .*merged in v3/);
    expect((await cliJson<{ head: number }>(["list", "--memory", memory])).head).toBe(3);
  });

  it("approve of a lesson without verdict or edge cases commits it alone", async () => {
    const memory = await seedMemory();
    const json = await cliJson<{ snapshot: Snapshot; edgeCases: number }>(["approve", "always-discount", "--memory", memory]);
    expect(json.edgeCases).toBe(0);
    expect(json.snapshot.reason).toBe('Approve lesson "always-discount" (recovery) with 0 edge cases, by tester: approved from the command line. No validator verdict.');
  });

  it("reject leaves memory unchanged and keeps the lesson as rejected", async () => {
    const memory = await seedMemory();
    const before = await cliJson<{ head: number; lessons: unknown[] }>(["list", "--memory", memory]);
    const { code, out } = await cli(["reject", "escalate-angry", "--reason", "too broad", "--memory", memory]);
    expect(code).toBe(0);
    expect(out).toBe(`Rejected lesson "escalate-angry"; memory "${memory}" is unchanged (live: v2). It stays on record: lessonloop show escalate-angry\n`);

    const after = await cliJson<{ head: number; lessons: unknown[] }>(["list", "--memory", memory]);
    expect(after).toEqual(before);
    const rejected = await cliJson<{ lessons: { status: string; lesson: Lesson }[] }>(["list", "--status", "rejected", "--memory", memory]);
    expect(rejected.lessons.map((entry) => `${entry.lesson.id}:${entry.status}`)).toEqual(["escalate-angry:rejected"]);
    const shown = await cli(["show", "escalate-angry", "--memory", memory]);
    expect(shown.out).toContain("Lesson escalate-angry — rejected, not in memory");
    expect(shown.out).toMatch(/status\s+rejected by tester at .* — too broad/);

    expect(await cliError(["approve", "escalate-angry", "--memory", memory])).toMatchObject({ code: 1, error: { code: "conflict" } });
    expect((await cliJson<{ head: number }>(["list", "--memory", memory])).head).toBe(2);
  });
});

describe("lessonloop CLI: errors", () => {
  it("a version that does not exist is unknown_version, exit 1", async () => {
    const memory = await readOnlyMemory();
    for (const argv of [["list", "--version", "99"], ["show", "refund-retry", "--version", "99"], ["diff", "0", "99"]]) {
      const { code, error } = await cliError([...argv, "--memory", memory]);
      expect({ argv, code, errorCode: error.code }).toEqual({ argv, code: 1, errorCode: "unknown_version" });
      expect(error.message).toMatch(/Version 99 does not exist \(versions run from 0 to 2\)/);
    }
    const text = await cli(["list", "--version", "99", "--memory", memory]);
    expect(text).toEqual({ code: 1, out: "", err: "lessonloop: Version 99 does not exist (versions run from 0 to 2).\n" });
  });

  it("an unknown lesson id is not_found, exit 1, for show, approve and reject", async () => {
    const memory = await readOnlyMemory();
    const shown = await cliError(["show", "no-such-lesson", "--memory", memory]);
    expect(shown).toMatchObject({ code: 1, error: { code: "not_found" } });
    expect(shown.error.message).toMatch(/No lesson "no-such-lesson" in memory .*not live at v2, was never merged, and does not wait for approval/);
    expect(await cliError(["approve", "no-such-lesson", "--memory", memory])).toMatchObject({ code: 1, error: { code: "not_found" } });
    expect(await cliError(["reject", "no-such-lesson", "--memory", memory])).toMatchObject({ code: 1, error: { code: "not_found" } });
    expect((await cli(["show", "no-such-lesson", "--memory", memory])).err).toMatch(/^lessonloop: No lesson "no-such-lesson"/);
  });

  it("an unknown memory is not_found, naming the memories there, and is not created", async () => {
    const memory = await readOnlyMemory();
    const missing = uniqueCollectionName("absent");
    const { code, error } = await cliError(["list", "--memory", missing]);
    expect(code).toBe(1);
    expect(error.code).toBe("not_found");
    expect(error.message).toContain(`No memory "${missing}" on the Chroma server at ${testChromaUrl()}`);
    expect(error.message).toContain(memory);
    expect((await cliError(["list", "--memory", missing])).error.code).toBe("not_found");
  });

  it("a server that is down is store_unavailable, exit 1, in text and JSON", async () => {
    const server = await startChroma();
    const env = { CHROMA_URL: server.url, USER: "tester" };
    const memory = await ChromaLessonMemory.open({ url: server.url, name: "lessonloop", embedder: createLexicalEmbedder() });
    await memory.commit({ add: [lessonFixture("l-1")], reason: "seed", author: "tester" });
    expect((await cli(["list"], env)).code).toBe(0);
    await server.stop();

    const { code, error } = await cliError(["list"], env);
    expect(code).toBe(1);
    expect(error.code).toBe("store_unavailable");
    expect(error.message).toContain(`Could not reach the Chroma server at ${server.url}`);
    const text = await cli(["history"], env);
    expect(text.code).toBe(1);
    expect(text.err).toMatch(/^lessonloop: Could not reach the Chroma server at .*CHROMA_URL/);
  });

  it("bad arguments exit 2 with a message naming the argument, before touching any server", async () => {
    const nowhere = { CHROMA_URL: "http://127.0.0.1:9", USER: "tester" };
    const bad = await cli(["list", "--version", "latest"], nowhere);
    expect(bad).toEqual({
      code: 2,
      out: "",
      err: 'lessonloop: Invalid --version "latest": must be a version number (a whole number, 0 or more), e.g. 3.\nRun "lessonloop list --help" for usage.\n',
    });
    expect(await cliError(["rollback", "1", "--all-scopes"], nowhere)).toEqual({ code: 2, error: { code: "invalid_input", message: "Missing --reason (--reason <text>)." } });
    expect((await cliError(["show"], nowhere)).code).toBe(2);
    expect((await cliError(["nope"], nowhere)).code).toBe(2);
    expect((await cli(["list"], {})).err).toMatch(/No memory here: .*--chroma-url/);
    const none = await cli([], nowhere);
    expect(none.code).toBe(2);
    expect(none.err).toContain("Usage: lessonloop <command>");
  });

  it("--help prints usage on stdout and exits 0", async () => {
    const help = await cli(["approve", "--help"], {});
    expect(help.code).toBe(0);
    expect(help.out).toContain("Usage: lessonloop approve <lesson-id> [options]");
    expect(help.err).toBe("");
  });

});
