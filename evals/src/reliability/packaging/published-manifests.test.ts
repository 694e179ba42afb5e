// The quick half of the packaging checks (issue 20, item 11), in `pnpm test`: the
// manifests users install, and the declarations of the learning graph. The slow half
// packs, installs and runs the packages (`pnpm test:pack`, pack-install.ts).
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, SOURCE_CONDITION, readManifest, readPublishedPackages, targetsOf, withoutSourceCondition } from "./published-packages.js";

const packages = await readPublishedPackages();
const root = await readManifest(REPO_ROOT);

describe("published manifests", () => {
  it("finds the published packages", () => {
    expect(packages.map(({ manifest }) => manifest.name)).toContain("lessonloop");
    expect(packages.length).toBeGreaterThanOrEqual(9);
  });

  it.each(packages.map(({ manifest }) => [manifest.name, manifest] as const))("%s publishes its exports and imports without the source condition", (_name, manifest) => {
    expect(manifest.exports).toBeDefined();
    if (manifest.exports === undefined) return;
    expect(manifest.publishConfig?.exports).toEqual(withoutSourceCondition(manifest.exports));
    expect(manifest.publishConfig?.imports).toEqual(manifest.imports === undefined ? undefined : withoutSourceCondition(manifest.imports));
    expect(JSON.stringify(manifest.publishConfig)).not.toContain(SOURCE_CONDITION);
  });

  it.each(packages.map(({ manifest }) => [manifest.name, manifest] as const))("%s points every published export into its files", (_name, manifest) => {
    const targets = [manifest.publishConfig?.exports, manifest.publishConfig?.imports].flatMap((map) => (map === undefined ? [] : targetsOf(map)));
    expect(targets.length).toBeGreaterThan(0);
    for (const target of targets) expect(manifest.files ?? []).toContain(target.replace(/^\.\//, "").split("/")[0]);
  });

  it.each(packages.map(({ manifest }) => [manifest.name, manifest] as const))("%s declares the workspace's Node floor and the MIT license", (_name, manifest) => {
    expect(root.engines?.node).toMatch(/^>=\d+\.\d+/);
    expect(manifest.engines?.node).toBe(root.engines?.node);
    expect(manifest.license).toBe("MIT");
  });

  it("has a LICENSE at the root, which pnpm packs into every package", async () => {
    expect(await readFile(join(REPO_ROOT, "LICENSE"), "utf8")).toMatch(/^MIT License\n/);
  });
});

describe("learning-graph declarations", () => {
  // With every export annotated, the declarations follow from the file alone: no inferred
  // graph type is spelled out into the published .d.ts (it was 918,751 bytes).
  it("are emitted from learning-graph.ts alone, and small", async () => {
    const fileName = join(REPO_ROOT, "packages/lessonloop/src/learning-graph.ts");
    const { outputText, diagnostics = [] } = ts.transpileDeclaration(await readFile(fileName, "utf8"), {
      fileName,
      reportDiagnostics: true,
      compilerOptions: { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true },
    });
    expect(diagnostics.map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"))).toEqual([]);
    expect(outputText).toContain("export declare function createLearningGraph");
    expect(outputText.length).toBeLessThan(16_000);
  });
});
