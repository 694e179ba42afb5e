import { describe, expect, it } from "vitest";
import { UsageError, helpText, parseCommandLine, type CommandLine } from "./command-line.js";

const ENV = { CHROMA_URL: "http://127.0.0.1:8000", USER: "ana" };

function run(argv: string[], env: Record<string, string | undefined> = ENV): Extract<CommandLine, { kind: "run" }> {
  const parsed = parseCommandLine(argv, env);
  if (parsed.kind !== "run") throw new Error(`expected a command, got help`);
  return parsed;
}

function usageError(argv: string[], env: Record<string, string | undefined> = ENV): UsageError {
  try {
    parseCommandLine(argv, env);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error(`expected a usage error for ${argv.join(" ")}`);
}

describe("parseCommandLine", () => {
  it("takes a scope on every command that shows lessons or history: a tenant's view", () => {
    expect(run(["show", "l-1", "--tenant", "acme"]).command).toEqual({ name: "show", lessonId: "l-1", scope: { tenant: "acme" } });
    expect(run(["history", "--tenant", "acme", "--user", "ana"]).command).toEqual({ name: "history", limit: 20, scope: { tenant: "acme", user: "ana" } });
    expect(run(["diff", "1", "4", "--tenant", "acme", "--agent", "billing"]).command).toEqual({ name: "diff", from: 1, to: 4, scope: { tenant: "acme", agent: "billing" } });
    for (const argv of [["diff", "1", "4", "--user", "ana"], ["history", "--agent", "billing"], ["show", "l-1", "--user", "ana"]]) {
      expect(usageError(argv).message, argv.join(" ")).toContain("needs --tenant");
    }
    // Any visible name is a scope name (issue 20): user ids are what the application uses.
    for (const name of ["a b", "josé", "李雷", "Ana Lopez", "o'reilly", "*"]) {
      expect(run(["history", "--tenant", "acme", "--user", name]).command).toMatchObject({ scope: { tenant: "acme", user: name } });
    }
    expect(usageError(["history", "--tenant", "x".repeat(257)]).message).toMatch(/^Invalid --tenant "x{60}… \(257 characters\)": must be at most 256 characters/);
    expect(usageError(["history", "--tenant", "acme\u2060"]).message).toMatch(/--tenant .*may not hold line breaks, control or invisible characters.*U\+2060/);
  });

  it("parses each command into a typed command with its defaults", () => {
    expect(run(["list"])).toEqual({
      kind: "run",
      global: { chromaUrl: "http://127.0.0.1:8000", memory: "lessonloop", json: false },
      command: { name: "list", status: "approved" },
    });
    expect(run(["list", "--tenant", "acme", "--agent", "billing", "--status", "all", "--version", "3", "--json"])).toMatchObject({
      global: { json: true },
      command: { name: "list", scope: { tenant: "acme", agent: "billing" }, status: "all", version: 3 },
    });
    expect(run(["show", "l-1", "--version", "0"]).command).toEqual({ name: "show", lessonId: "l-1", version: 0 });
    expect(run(["history"]).command).toEqual({ name: "history", limit: 20 });
    expect(run(["history", "--limit", "5", "--before", "9"]).command).toEqual({ name: "history", limit: 5, before: 9 });
    expect(run(["diff", "1", "4"]).command).toEqual({ name: "diff", from: 1, to: 4 });
    expect(run(["rollback", "2", "--all-scopes", "--reason", "broke refunds", "--expect-head", "5"]).command).toEqual({
      name: "rollback",
      version: 2,
      reason: "broke refunds",
      author: "ana",
      expectHead: 5,
    });
    expect(run(["rollback", "2", "--tenant", "acme", "--user", "bo", "--reason", "broke refunds"]).command).toEqual({
      name: "rollback",
      version: 2,
      scope: { tenant: "acme", user: "bo" },
      reason: "broke refunds",
      author: "ana",
    });
    expect(run(["revert", "l-1", "--tenant", "acme", "--reason", "hurts"]).command).toEqual({
      name: "revert",
      lessonId: "l-1",
      scope: { tenant: "acme" },
      reason: "hurts",
      author: "ana",
    });
    expect(run(["reject", "l-1", "--tenant", "globex"]).command).toEqual({ name: "reject", lessonId: "l-1", scope: { tenant: "globex" }, author: "ana" });
    expect(run(["pending", "--tenant", "acme"]).command).toEqual({ name: "pending", scope: { tenant: "acme" } });
    expect(run(["approve", "l-1", "--author", "bo", "--edge-cases", "my-cases"]).command).toEqual({
      name: "approve",
      lessonId: "l-1",
      author: "bo",
      edgeCases: "my-cases",
    });
    expect(run(["reject", "l-1", "--reason", "too broad"]).command).toEqual({ name: "reject", lessonId: "l-1", author: "ana", reason: "too broad" });
  });

  it("takes the server from --chroma-url before CHROMA_URL, and the author from USER", () => {
    expect(run(["list", "--chroma-url", "https://chroma.example.com"]).global.chromaUrl).toBe("https://chroma.example.com");
    expect(run(["list", "--memory", "support-bot"]).global.memory).toBe("support-bot");
    expect(run(["reject", "l-1"], { CHROMA_URL: ENV.CHROMA_URL }).command).toMatchObject({ author: "lessonloop-cli" });
    // `pnpm cli -- list` may pass the separator through.
    expect(run(["--", "list"]).command.name).toBe("list");
  });

  it("answers help for the tool and for each command", () => {
    for (const argv of [["--help"], ["help"], ["-h"]]) {
      const parsed = parseCommandLine(argv, {});
      expect(parsed).toEqual({ kind: "help", text: helpText() });
    }
    const help = parseCommandLine(["rollback", "--help"], {});
    expect(help.kind).toBe("help");
    expect(help.kind === "help" && help.text).toContain("Usage: lessonloop rollback <version> [options]");
    expect(help.kind === "help" && help.text).toContain("--reason <text>");
    expect(helpText()).toMatch(/Exit codes: 0 done, 1 .*, 2 bad command line/);
  });

  it("names the argument that is wrong and what a good value looks like", () => {
    expect(usageError(["list", "--version", "abc"]).message).toBe('Invalid --version "abc": must be a version number (a whole number, 0 or more), e.g. 3.');
    expect(usageError(["list", "--version", "-1"]).message).toBe('Invalid --version "-1": must be a version number (a whole number, 0 or more), e.g. 3.');
    expect(usageError(["list", "--version=-1"]).message).toMatch(/0 or more/);
    expect(usageError(["diff", "-1", "3"]).message).toMatch(/^Invalid <from> "-1": .*0 or more/);
    expect(usageError(["rollback", "-2", "--all-scopes", "--reason", "x"]).message).toMatch(/^Invalid <version> "-2": .*0 or more/);
    expect(usageError(["list", "--version", "12345678901234567890"]).message).toMatch(/--version "12345678901234567890": is too large: a version number is at most 9007199254740991/);
    expect(usageError(["diff", "0", "99999999999999999999"]).message).toMatch(/<to> .*is too large/);
    expect(usageError(["list", "--tenant", "acme", "--tenant", "globex"]).message).toBe("Option --tenant is given more than once; give it once.");
    expect(usageError(["list", "--json", "--json"]).message).toMatch(/--json is given more than once/);
    expect(usageError(["rollback", "2", "--tenant", "a", "--reason", "x", "--reason=y"]).message).toMatch(/--reason is given more than once/);
    expect(usageError(["list", "--status", "live"]).message).toMatch(/^Invalid --status "live": must be one of approved, pending, rejected, retired, all/);
    expect(usageError(["list", "--user", "ana"]).message).toMatch(/--user "ana": needs --tenant too/);
    expect(usageError(["list", "--status", "pending", "--version", "2"]).message).toMatch(/--version "2": does not apply to pending lessons/);
    expect(usageError(["show"]).message).toMatch(/^Missing <lesson-id> for "show"\. Usage: lessonloop show <lesson-id>/);
    expect(usageError(["show", "bad id!"]).message).toMatch(/^Invalid <lesson-id> "bad id!": may hold only/);
    expect(usageError(["diff", "1"]).message).toMatch(/Missing <to>/);
    expect(usageError(["diff", "1", "x"]).message).toMatch(/Invalid <to> "x"/);
    expect(usageError(["history", "--limit", "0"]).message).toMatch(/--limit "0": must be a whole number from 1 to 10000/);
    expect(usageError(["rollback", "2", "--all-scopes"]).message).toBe("Missing --reason (--reason <text>).");
    expect(usageError(["rollback", "2", "--all-scopes", "--reason", "  "]).message).toMatch(/--reason "  ": must not be empty/);
    expect(usageError(["rollback", "2", "--reason", "x"]).message).toMatch(/^Invalid --tenant: say which lessons to roll back: --tenant <tenant> for one tenant's, or --all-scopes/);
    expect(usageError(["rollback", "2", "--reason", "x", "--tenant", "acme", "--all-scopes"]).message).toMatch(/--all-scopes.*cannot go with --tenant/);
    expect(usageError(["revert", "l-1"]).message).toBe("Missing --reason (--reason <text>).");
    expect(usageError(["approve", "l-1", "--user", "bo"]).message).toMatch(/--user "bo": needs --tenant too/);
    expect(usageError(["list", "extra"]).message).toMatch(/Unexpected argument "extra" for "list"/);
    expect(usageError(["list", "--bogus"]).message).toMatch(/^Unknown option --bogus for "list"\. It takes: --tenant/);
    expect(usageError(["list", "--json=yes"]).message).toMatch(/--json takes no value/);
    expect(usageError(["list", "--memory", "x"]).message).toMatch(/--memory "x": must be at least 3 characters/);
    expect(usageError(["frobnicate"]).message).toMatch(/^Unknown command "frobnicate"\. Commands: list, show/);
    expect(usageError(["--json", "list"]).message).toMatch(/Options come after the command/);
    expect(usageError([]).message).toMatch(/No command given/);
  });

  it("takes no server for the memory in ./.lessonloop, and checks a given server's URL", () => {
    expect(run(["list"], {}).global.chromaUrl).toBeUndefined();
    expect(run(["list"], { CHROMA_URL: "" }).global.chromaUrl).toBeUndefined();
    expect(usageError(["list"], { CHROMA_URL: "localhost:8000" }).message).toMatch(/^Invalid CHROMA_URL "localhost:8000": must be an http\(s\) URL/);
    expect(usageError(["list", "--chroma-url", "ftp://x"]).message).toMatch(/^Invalid --chroma-url "ftp:\/\/x"/);
    // Credentials in the URL are never repeated.
    const leaked = usageError(["list", "--chroma-url", "ftp://admin:hunter2@chroma.internal"]).message;
    expect(leaked).toMatch(/^Invalid --chroma-url "ftp:\/\/\*\*\*@chroma\.internal"/);
    expect(leaked).not.toMatch(/hunter2|admin/);
  });

  it("points each error at the command's help", () => {
    expect(usageError(["rollback", "2"]).command).toBe("rollback");
    expect(usageError(["frobnicate"]).command).toBeUndefined();
  });
});
