import { describe, expect, it } from "vitest";
import { runCli } from "../cli.js";

async function cli(argv: string[], env: Record<string, string | undefined> = { CHROMA_URL: "http://127.0.0.1:9" }) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, { stdout: { write: (chunk: string) => (stdout += chunk) }, stderr: { write: (chunk: string) => (stderr += chunk) }, env });
  return { code, stdout, stderr };
}

describe("runCli --json", () => {
  it("answers help in JSON on every help path", async () => {
    for (const argv of [["--help", "--json"], ["help", "--json"], ["-h", "--json"], ["list", "--help", "--json"], ["rollback", "--json", "-h"]]) {
      const { code, stdout, stderr } = await cli(argv);
      expect(code, argv.join(" ")).toBe(0);
      expect(stderr).toBe("");
      const help = JSON.parse(stdout) as { help: string };
      expect(help.help, argv.join(" ")).toMatch(/^lessonloop/);
    }
    // Without --json, help stays text.
    expect((await cli(["--help"])).stdout).toMatch(/^lessonloop — /);
  });

  it("answers every usage error in JSON, with nothing on stdout", async () => {
    for (const argv of [[], ["--json"], ["frobnicate", "--json"], ["list", "--json", "--version", "-1"], ["list", "--json", "--tenant", "a", "--tenant", "b"], ["--json", "list"]]) {
      const { code, stdout, stderr } = await cli(argv);
      expect(code, argv.join(" ")).toBe(2);
      if (!argv.includes("--json")) continue;
      expect(stdout).toBe("");
      expect(JSON.parse(stderr), argv.join(" ")).toMatchObject({ error: { code: "invalid_input", message: expect.any(String) } });
    }
    const { stderr } = await cli(["list", "--json", "--version", "-1"]);
    expect(JSON.parse(stderr).error.message).toMatch(/0 or more/);
  });

  it("answers a store failure in JSON without the URL's credentials", async () => {
    const { code, stderr } = await cli(["list", "--json", "--chroma-url", "http://ops:pa55word@127.0.0.1:9"]);
    expect(code).toBe(1);
    const { error } = JSON.parse(stderr) as { error: { code: string; message: string } };
    expect(error.code).toBe("store_unavailable");
    expect(error.message).toContain("http://***@127.0.0.1:9");
    expect(stderr).not.toMatch(/pa55word|ops:/);
  });

  it("shows an invisible character of an argument as a visible escape in a text error", async () => {
    const { stderr } = await cli(["list", "--tenant", "acme\u{E0041}\u{E0042}"]);
    expect(stderr).toContain('"acme\\u{E0041}\\u{E0042}"');
    expect(stderr).toMatch(/U\+E0041/);
    expect(stderr).not.toMatch(/[\u{E0000}-\u{E007F}]/u);
  });
});
