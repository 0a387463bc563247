// The layering in design.md, enforced: pure layers stay pure, faces go through the doctor.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const SRC = join(ROOT, 'src');
const BIN = join(ROOT, 'bin');

type Layer = 'nova' | 'logscan' | 'db' | 'repair' | 'doctor' | 'cli' | 'tui' | 'sea' | 'root';

/** Runtime imports each layer may make (type-only imports from lower layers are always fine for faces). */
const allowed: Record<Layer, Layer[]> = {
  root: ['root'],
  nova: ['nova', 'root'],
  logscan: ['logscan', 'nova', 'root'],
  db: ['db', 'nova', 'root'],
  repair: ['repair', 'db', 'nova', 'root'],
  doctor: ['doctor', 'repair', 'db', 'logscan', 'nova', 'root'],
  tui: ['tui', 'doctor', 'root'],
  cli: ['cli', 'doctor', 'tui', 'root'],
  // The single executable's entry (src/sea/build.mjs bundles it): the launcher's steps, as bin/nova-doctor.js.
  sea: ['sea', 'cli', 'db', 'logscan', 'root'],
};

/** Packages that mean I/O or UI: never in the pure layers. */
const forbiddenPackages: Partial<Record<Layer, RegExp>> = {
  nova: /^(mysql2|ink|react|node:fs|node:child_process|node:net|chalk)/,
  logscan: /^(mysql2|ink|react|chalk)/,
  db: /^(ink|react|chalk)/,
  repair: /^(ink|react|chalk)/,
  doctor: /^(ink|react|chalk)/,
};

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (/\.tsx?$/.test(entry.name)) yield path;
  }
}

function layerOf(file: string): Layer {
  const first = relative(SRC, file).split(sep)[0] ?? '';
  return (/\.[jt]sx?$/.test(first) ? 'root' : first) as Layer;
}

const IMPORT = /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm;

interface ImportEdge {
  file: string;
  spec: string;
  typeOnly: boolean;
}

function importsOf(file: string): ImportEdge[] {
  const text = readFileSync(file, 'utf8');
  const edges: ImportEdge[] = [];
  for (const m of text.matchAll(IMPORT)) edges.push({ file, spec: m[3]!, typeOnly: Boolean(m[2]) });
  for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g))
    edges.push({ file, spec: m[1]!, typeOnly: false });
  return edges;
}

describe('layering', () => {
  const files = [...sourceFiles(SRC)];

  it('finds the source tree', () => {
    expect(files.length).toBeGreaterThan(5);
  });

  it('runtime imports only go down the layers', () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = layerOf(file);
      for (const edge of importsOf(file)) {
        if (!edge.spec.startsWith('.')) continue;
        const target = layerOf(join(file, '..', edge.spec));
        const face = from === 'tui' || from === 'cli';
        if (edge.typeOnly && face) continue;
        if (!allowed[from].includes(target)) violations.push(`${relative(SRC, file)} → ${edge.spec}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('pure layers import no I/O or UI packages', () => {
    const violations: string[] = [];
    for (const file of files) {
      const rule = forbiddenPackages[layerOf(file)];
      if (!rule) continue;
      for (const edge of importsOf(file)) {
        if (!edge.typeOnly && rule.test(edge.spec)) violations.push(`${relative(SRC, file)} → ${edge.spec}`);
      }
    }
    expect(violations).toEqual([]);
  });
});

describe('the launcher and the exit codes', () => {
  const launchers = readdirSync(BIN).filter((f) => f.endsWith('.js'));

  it('bin/ only launches: one import, of the compiled src/cli/launch, and no look at the arguments', () => {
    expect(launchers.length).toBeGreaterThan(0);
    for (const name of launchers) {
      const text = readFileSync(join(BIN, name), 'utf8').replace(/^\s*(#!|\/\/).*$/gm, '');
      const imports = [...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s[^'"]*['"]([^'"]+)['"]/gm)].map(
        (m) => m[1] ?? m[2],
      );
      expect(imports, name).toEqual(['../dist/cli/launch.js']);
      // The arguments go to launch() whole: no branching on a subcommand here.
      expect(text.replaceAll('process.argv.slice(2)', ''), name).not.toMatch(/argv/);
      expect(text, name).not.toMatch(/\bif\b|\?\?=|process\.env/);
    }
  });

  it('exit codes are named, from src/errors.ts: no bare number as an exit code below the faces', () => {
    const files = [...sourceFiles(SRC)];
    const bare: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/exitCode\s*[:=]\s*\d+/g)) bare.push(`${relative(SRC, file)}: ${m[0]}`);
    }
    expect(bare).toEqual([]);
    const defines = files.filter((f) =>
      /export const ExitCode\b|export const EXIT_CODES\b/.test(readFileSync(f, 'utf8')),
    );
    expect(defines.map((f) => relative(SRC, f))).toEqual(['errors.ts']);
  });
});

describe('what every command loads', () => {
  /** The modules src/cli/main.ts reaches through static (runtime) imports, with the path that reached each. */
  function staticClosure(entry: string): Map<string, string[]> {
    const reached = new Map<string, string[]>([[entry, [relative(SRC, entry)]]]);
    const queue = [entry];
    while (queue.length > 0) {
      const file = queue.shift() as string;
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(IMPORT)) {
        if (m[2]) continue; // type-only: erased
        const spec = m[3] as string;
        const via = reached.get(file) as string[];
        if (!spec.startsWith('.')) {
          if (!reached.has(spec)) reached.set(spec, [...via, spec]);
          continue;
        }
        const target = join(file, '..', spec).replace(/\.js$/, '');
        const path = [`${target}.ts`, `${target}.tsx`].find((p) => files.has(p));
        if (path && !reached.has(path)) {
          reached.set(path, [...via, relative(SRC, path)]);
          queue.push(path);
        }
      }
    }
    return reached;
  }
  const files = new Set(sourceFiles(SRC));

  it('the command line does not load the database driver or the repair engine until a command needs them', () => {
    // Every command, `scan` and `--help` included, loads what main.ts imports statically: mysql2 and the
    // repair engine there cost a scan ~0.25 s of CPU at start (0.55 -> 0.30 s for a tiny log).
    const reached = staticClosure(join(SRC, 'cli', 'main.ts'));
    expect(reached.size).toBeGreaterThan(10);
    const heavy = [...reached.entries()]
      .filter(([m]) => /^mysql2|^ink$|^react$|[/\\](repair[/\\]|db[/\\]trace|db[/\\]connect)/.test(m))
      .map(([, via]) => via.join(' -> '));
    expect(heavy).toEqual([]);
  });
});
