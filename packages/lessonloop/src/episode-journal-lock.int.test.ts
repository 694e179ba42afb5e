import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { createFileEpisodeJournal } from "./episode-journal.js";

// Real processes on one journal file: each runs tests/journal-process.ts.
const SCRIPT = fileURLToPath(new URL("./tests/journal-process.ts", import.meta.url));
const PACKAGE_ROOT = fileURLToPath(new URL("..", import.meta.url));

interface Message {
  opened?: boolean;
  pid?: number;
  refused?: boolean;
  code?: string;
  message?: string;
  holder?: { pid: number; hostname: string };
  acked?: string;
  done?: string;
  finished?: boolean;
  pending?: string[];
}

interface JournalProcess {
  child: ChildProcess;
  messages: Message[];
  /** Resolves with the first message `match` accepts; rejects if the process exits first. */
  waitFor(match: (message: Message) => boolean): Promise<Message>;
  exited: Promise<number | null>;
  stderr(): string;
}

const children: ChildProcess[] = [];
const folders: string[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
});

async function journalPath(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), "lessonloop-journal-lock-"));
  folders.push(folder);
  return join(folder, "episodes.jsonl");
}

function startJournalProcess(input: Record<string, unknown>): JournalProcess {
  const child = spawn(process.execPath, ["--conditions=@lessonloop/source", "--import", "tsx", SCRIPT, JSON.stringify(input)], {
    cwd: PACKAGE_ROOT,
    stdio: ["pipe", "pipe", "pipe"],
  });
  children.push(child);
  const messages: Message[] = [];
  const listeners = new Set<() => void>();
  let stderr = "";
  let gone = false;
  child.stderr?.on("data", (chunk: Buffer) => (stderr = `${stderr}${chunk.toString()}`.slice(-4_000)));
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    messages.push(JSON.parse(line) as Message);
    for (const listener of listeners) listener();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      // Let the last stdout lines arrive before waiters are told.
      setTimeout(() => {
        gone = true;
        for (const listener of listeners) listener();
        resolve(code);
      }, 50);
    }),
  );
  return {
    child,
    messages,
    exited,
    stderr: () => stderr,
    waitFor: (match) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find(match);
          if (found !== undefined) {
            listeners.delete(check);
            resolve(found);
          } else if (gone) {
            listeners.delete(check);
            reject(new Error(`the journal process exited before the awaited message; stderr: ${stderr}`));
          }
        };
        listeners.add(check);
        check();
      }),
  };
}

const acked = (process_: JournalProcess) => process_.messages.flatMap((message) => (message.acked === undefined ? [] : [message.acked]));
const done = (process_: JournalProcess) => process_.messages.flatMap((message) => (message.done === undefined ? [] : [message.done]));

describe("a file episode journal is owned by one process", () => {
  it("refuses a second process with a typed error naming the process that holds it", async () => {
    const path = await journalPath();
    const holder = startJournalProcess({ path, prefix: "a", episodes: 3, hold: true });
    const opened = await holder.waitFor((message) => message.opened === true);
    await holder.waitFor((message) => message.finished === true);

    const second = startJournalProcess({ path, prefix: "b", episodes: 3 });
    const refusal = await second.waitFor((message) => message.refused === true || message.opened === true);
    expect(refusal).toMatchObject({ refused: true, code: "locked", holder: { pid: opened.pid } });
    expect(refusal.message).toContain(`process ${String(opened.pid)}`);
    expect(refusal.message).toContain(path);
    await second.exited;
    // The holder's episodes are untouched and still its own.
    expect(acked(second)).toEqual([]);
  });

  it("is taken over once its holder is killed with SIGKILL, and nothing acknowledged is lost", async () => {
    const path = await journalPath();
    const first = startJournalProcess({ path, prefix: "a", episodes: 40, hold: true });
    await first.waitFor((message) => message.finished === true);
    first.child.kill("SIGKILL");
    await first.exited;
    // SIGKILL runs no exit handler: the lock file stays, naming a process that is gone.
    expect(existsSync(`${path}.lock`)).toBe(true);

    const second = startJournalProcess({ path, prefix: "b", episodes: 10, complete: true });
    const finished = await second.waitFor((message) => message.finished === true || message.refused === true);
    expect(finished.message).toBeUndefined();
    expect(finished.pending).toEqual(acked(first));
    expect(await second.exited).toBe(0);
    // A clean exit releases the lock.
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it("loses none of 200 + 200 acknowledged episodes when two processes are started on it at once", async () => {
    const path = await journalPath();
    // One completes what it appends (compacting every 5 marks), the other only appends; both wait to start writing together.
    const completing = startJournalProcess({ path, prefix: "a", episodes: 200, complete: true, compactEvery: 5, waitForGo: true });
    await completing.waitFor((message) => message.opened === true || message.refused === true);
    const appending = startJournalProcess({ path, prefix: "b", episodes: 200, waitForGo: true });
    await appending.waitFor((message) => message.opened === true || message.refused === true);
    for (const process_ of [completing, appending]) process_.child.stdin?.end("go\n");
    await Promise.all([completing.exited, appending.exited]);

    const reopened = createFileEpisodeJournal({ path });
    const pending = new Set((await reopened.pending()).map((episode) => episode.id));
    await reopened.close();
    const finished = new Set([...done(completing), ...done(appending)]);
    const lost = [...acked(completing), ...acked(appending)].filter((id) => !finished.has(id) && !pending.has(id));
    expect(lost).toEqual([]);
    // The second opener was refused rather than writing beside the first.
    expect(appending.messages[0]).toMatchObject({ refused: true, code: "locked", holder: { pid: completing.child.pid } });
    expect(acked(completing)).toHaveLength(200);
  });
});
