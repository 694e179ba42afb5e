// Packaging as users install it (issue 20, item 11): build and `pnpm pack` lessonloop and the
// workspace packages it needs, install the tarballs with npm into a fresh project outside the
// repository, run a first script with plain `node`, the `lessonloop` command on what it
// learned, and `tsc --noEmit` (strict, NodeNext) on the same script.
import { spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import type { ScenarioReport } from "../scenario-report.js";
import { REPO_ROOT, SOURCE_CONDITION, readManifest, readPublishedPackages, runtimeClosure, tarballName } from "./published-packages.js";

const HERE = dirname(fileURLToPath(import.meta.url));

/**
 * Chroma's native binary from 1.0.7 on needs glibc 2.38, so on Debian 12 (glibc 2.36) the
 * embedded server only starts with this pin, the one the README's install block shows.
 */
export const CHROMA_BINARY_OVERRIDE = { "chromadb-js-bindings-linux-x64-gnu": "1.0.5" } as const;

/**
 * Dependencies that declare a newer Node than the project's floor but run on it, so npm's
 * EBADENGINE warning for them is expected: p-queue 10 declares >= 22 and needs only
 * `process.getBuiltinModule` (Node >= 20.16). Any other package npm warns about fails the check.
 */
const EXPECTED_ENGINE_WARNINGS = new Set(["p-queue"]);

/** The published learning-graph.d.ts above this is an inferred graph type spelled out again. */
const LEARNING_GRAPH_DTS_LIMIT = 32_000;

interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function runCommand(command: string, args: readonly string[], cwd: string, timeoutMs = 600_000): Promise<CommandResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs, env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
  });
}

/** Runs one step; a step that fails ends the scenario with what it printed. */
async function step(name: string, command: string, args: readonly string[], cwd: string): Promise<CommandResult> {
  const result = await runCommand(command, args, cwd);
  if (result.code !== 0) throw new Error(`${name} (${command} ${args.join(" ")}) exited with ${result.code}:\n${`${result.stdout}\n${result.stderr}`.trim().slice(-3_000)}`);
  return result;
}

/** Milliseconds as seconds to a tenth. */
const seconds = (ms: number): number => Math.round(ms / 100) / 10;

/** The packages npm warned about with EBADENGINE (names without versions). */
export function engineWarnings(npmOutput: string): string[] {
  const names = [...npmOutput.matchAll(/EBADENGINE\s+package: '([^']+)'/g)].map((match) => (match[1] ?? "").replace(/@[^@]*$/, ""));
  return [...new Set(names)].sort();
}

const ListedSchema = z.looseObject({ version: z.number(), lessons: z.array(z.looseObject({ status: z.string(), lesson: z.looseObject({ guidance: z.string() }) })) });

/**
 * Runs the whole check in temporary folders under the OS's; removes them when it
 * passes and keeps them (named in the notes) when it does not.
 */
export async function runPackInstallScenario(): Promise<ScenarioReport> {
  const figures: Record<string, number> = {};
  const notes: string[] = [];
  const work = await mkdtemp(join(tmpdir(), "lessonloop-pack-"));
  const tarballs = join(work, "tarballs");
  const project = join(work, "project");
  let passed = false;
  try {
    const closure = runtimeClosure("lessonloop", await readPublishedPackages());
    notes.push(`packed: ${closure.map(({ manifest }) => manifest.name).join(", ")}`);

    const pnpm = process.platform === "win32" ? "pnpm.cmd" : "pnpm";
    figures["buildSeconds"] = seconds((await step("build", pnpm, ["exec", "turbo", "run", "build", "--filter=lessonloop..."], REPO_ROOT)).ms);
    const packStarted = performance.now();
    await Promise.all(closure.map(({ dir }) => step(`pack ${basename(dir)}`, pnpm, ["pack", "--pack-destination", tarballs], dir)));
    figures["packSeconds"] = seconds(performance.now() - packStarted);
    const files = (await readdir(tarballs)).filter((file) => file.endsWith(".tgz"));
    figures["tarballs"] = files.length;
    const sizes = await Promise.all(files.map(async (file) => (await stat(join(tarballs, file))).size));
    figures["tarballKiB"] = Math.round(sizes.reduce((sum, size) => sum + size, 0) / 1_024);

    // The user's project: the tarballs (all of them, so npm takes lessonloop's workspace
    // dependencies from them, not from the registry), the host libraries, and the pin.
    const root = await readManifest(REPO_ROOT);
    const lessonloop = closure.find(({ manifest }) => manifest.name === "lessonloop")?.manifest;
    const missing = closure.filter(({ manifest }) => !files.includes(tarballName(manifest)));
    if (lessonloop === undefined || missing.length > 0) throw new Error(`pnpm pack wrote ${files.join(", ")}; missing: lessonloop or ${missing.map(({ manifest }) => tarballName(manifest)).join(", ")}`);
    await mkdir(project);
    await writeFile(
      join(project, "package.json"),
      JSON.stringify(
        {
          name: "first-hour",
          private: true,
          type: "module",
          dependencies: {
            ...Object.fromEntries(closure.map(({ manifest }) => [manifest.name, `file:${join(tarballs, tarballName(manifest))}`])),
            "@langchain/core": lessonloop.peerDependencies?.["@langchain/core"] ?? "*",
            "@langchain/langgraph": lessonloop.peerDependencies?.["@langchain/langgraph"] ?? "*",
            zod: lessonloop.dependencies?.["zod"] ?? "*",
          },
          devDependencies: { typescript: root.devDependencies?.["typescript"] ?? "*", "@types/node": root.devDependencies?.["@types/node"] ?? "*" },
          overrides: CHROMA_BINARY_OVERRIDE,
        },
        null,
        2,
      ),
    );
    const install = await step("npm install", "npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], project);
    figures["npmInstallSeconds"] = seconds(install.ms);
    const warned = engineWarnings(`${install.stdout}\n${install.stderr}`);
    const unexpected = warned.filter((name) => !EXPECTED_ENGINE_WARNINGS.has(name));
    figures["unexpectedEngineWarnings"] = unexpected.length;
    notes.push(`npm EBADENGINE warnings: ${warned.length === 0 ? "none" : warned.join(", ")}${unexpected.length > 0 ? ` (unexpected: ${unexpected.join(", ")})` : ""}`);

    // What npm installed is what was published: no source condition, the Node floor declared.
    const installed = await Promise.all(closure.map(async ({ manifest }) => readManifest(join(project, "node_modules", manifest.name))));
    figures["installedManifestsNamingSources"] = installed.filter(({ exports, imports }) => JSON.stringify({ exports, imports }).includes(SOURCE_CONDITION)).length;
    figures["installedManifestsWithoutEngines"] = installed.filter((manifest) => manifest.engines?.node !== root.engines?.node).length;
    figures["installedLicenses"] = (await Promise.all(closure.map(async ({ manifest }) => (await readFile(join(project, "node_modules", manifest.name, "LICENSE"), "utf8").catch(() => "")).startsWith("MIT License")))).filter(Boolean).length;
    figures["learningGraphDtsBytes"] = (await stat(join(project, "node_modules/lessonloop/dist/learning-graph.d.ts"))).size;

    const script = join(HERE, "user-script.ts");
    await copyFile(script, join(project, "learn.mjs"));
    await copyFile(script, join(project, "learn.ts"));
    const run = await step("node learn.mjs", process.execPath, ["learn.mjs"], project);
    figures["nodeRunSeconds"] = seconds(run.ms);
    const summary = z.object({ firstRun: z.literal("failed"), memoryVersion: z.literal(1), secondRun: z.literal("right") }).parse(JSON.parse(run.stdout.trim().split("\n").at(-1) ?? ""));
    notes.push(`node learn.mjs: ${JSON.stringify(summary)}`);
    // What a first run prints beside its answer (where the memory is kept, and any warning), for the reader.
    const printed = `${run.stdout}\n${run.stderr}`.split("\n").filter((line) => line.startsWith("[lessonloop]"));
    figures["scriptLessonloopLines"] = printed.length;
    notes.push(...printed.map((line) => `learn.mjs printed: ${line.slice(0, 240)}`));

    // The command line finds what the script learned in ./.lessonloop, with no flags.
    const list = await step("lessonloop list", join(project, "node_modules/.bin/lessonloop"), ["list", "--json"], project);
    figures["cliSeconds"] = seconds(list.ms);
    const listed = ListedSchema.parse(JSON.parse(list.stdout));
    figures["lessonsListed"] = listed.lessons.filter(({ status, lesson }) => status === "approved" && lesson.guidance.includes("amount_cents")).length;

    // skipLibCheck as `tsc --init` sets it: chromadb's own declarations import a package it does not install.
    await writeFile(
      join(project, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: true }, files: ["learn.ts"] }, null, 2),
    );
    figures["tscSeconds"] = seconds((await step("tsc --noEmit", process.execPath, [join(project, "node_modules/typescript/bin/tsc"), "--noEmit", "-p", "."], project)).ms);

    passed =
      figures["unexpectedEngineWarnings"] === 0 &&
      figures["installedManifestsNamingSources"] === 0 &&
      figures["installedManifestsWithoutEngines"] === 0 &&
      figures["installedLicenses"] === closure.length &&
      figures["learningGraphDtsBytes"] < LEARNING_GRAPH_DTS_LIMIT &&
      figures["lessonsListed"] === 1;
  } catch (error) {
    notes.push(error instanceof Error ? error.message : String(error));
  } finally {
    if (passed) await rm(work, { recursive: true, force: true });
    else notes.push(`kept for a look: ${work}`);
  }
  notes.push(`Node ${process.version}; learning-graph.d.ts limit ${LEARNING_GRAPH_DTS_LIMIT} bytes`);
  return { name: "pack-install", figures, passed, notes };
}
