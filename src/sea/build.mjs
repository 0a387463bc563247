#!/usr/bin/env node
// `npm run build:binary`: nova-doctor as one file to copy onto a controller, dist/nova-doctor (Linux x86-64), a
// Node single executable application (https://nodejs.org/api/single-executable-applications.html) that needs no
// Node.js and no node_modules where it runs. Prints its size and sha256 (and writes dist/nova-doctor.sha256).
//
//   node src/sea/build.mjs [--out FILE]
//
// 1. Each worker thread's script (scan worker, gzip helper, spec reader) is bundled on its own as an ES module;
//    the texts go into the main bundle, and src/sea/workerScript.ts starts them from data: URLs.
// 2. The program is bundled from src/sea/main.ts (the launcher's steps) into one CommonJS script, because that is
//    what an executable's main script is in Node 20. Two dependencies use top-level await, which CommonJS cannot
//    have: yoga-layout (ink's layout engine) awaits its WebAssembly, and ink awaits React DevTools when DEV=true.
//    yoga's Emscripten loader takes an `instantiateWasm` hook, and Node compiles and instantiates a module of
//    that size synchronously, so the bundle's yoga starts synchronously instead; DevTools are left out.
//    Two more packages need a word to bundle well (jsonc-parser's UMD, mysql2's probe for cardinal): see below.
// 3. `node --experimental-sea-config` makes the blob, and postject injects it into a copy of this node binary.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SRC = join(ROOT, 'src');
const require = createRequire(import.meta.url);

/** The sentinel Node looks for to know a blob was injected (the same in every Node with SEA). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** Worker scripts, by the name their callers give compiledScript(). */
const WORKERS = {
  'worker.js': 'src/logscan/worker.ts',
  'gunzipWorker.js': 'src/logscan/gunzipWorker.ts',
};

class BuildError extends Error {}

function fail(message) {
  throw new BuildError(message);
}

function argValue(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** `../workerScript.js`, imported from anywhere in src, resolves to `path` instead. */
function replaceWorkerScript(path) {
  return {
    name: 'worker-script',
    setup(build) {
      build.onResolve({ filter: /(^|\/)workerScript\.js$/ }, (args) =>
        args.importer.startsWith(SRC) && !args.importer.startsWith(join(SRC, 'sea')) ? { path } : undefined,
      );
    },
  };
}

/** yoga-layout without top-level await: its WebAssembly compiled and instantiated synchronously. */
const yogaSync = {
  name: 'yoga-sync',
  setup(build) {
    const WASM = /H="data:application\/octet-stream;base64,([A-Za-z0-9+/=]+)"/;
    build.onLoad({ filter: /yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const m = WASM.exec(text);
      if (!m) throw new Error('yoga-layout: its embedded WebAssembly was not found (a new version?)');
      // The bytes once, as an export of their own: the loader's copy only served its asynchronous path.
      return { contents: `${text.replace(WASM, 'H=""')}\nexport const YOGA_WASM_BASE64 = ${JSON.stringify(m[1])};\n` };
    });
    build.onLoad({ filter: /yoga-layout[\\/]dist[\\/]src[\\/]index\.js$/ }, (args) => ({
      resolveDir: dirname(args.path),
      contents: `
import loadYoga, { YOGA_WASM_BASE64 } from '../binaries/yoga-wasm-base64-esm.js';
import wrapAssembly from './wrapAssembly.js';
const wasm = new WebAssembly.Module(Buffer.from(YOGA_WASM_BASE64, 'base64'));
const yoga = {
  instantiateWasm(imports, ready) {
    const instance = new WebAssembly.Instance(wasm, imports);
    ready(instance, wasm);
    return instance.exports;
  },
};
// Given the instance at once, Emscripten has run its start-up when loadYoga returns.
loadYoga(yoga);
if (!yoga.calledRun) throw new Error('yoga-layout did not start synchronously');
export default wrapAssembly(yoga);
export * from './generated/YGEnums.js';
`,
    }));
  },
};

/**
 * ink's two top-level awaits, both only when DEV=true: React DevTools (`await import('./devtools.js')`) and its own
 * package.json (`await loadPackageJson()`, for DevTools). Neither is in the executable.
 */
const inkWithoutDevtools = {
  name: 'ink-without-devtools',
  setup(build) {
    const EDITS = [
      [
        "await import('./devtools.js');",
        "throw Object.assign(new Error('React DevTools are not in the single executable'), { code: 'ERR_MODULE_NOT_FOUND' });",
      ],
      ['await loadPackageJson()', '{ name: undefined, version: undefined }'],
    ];
    build.onLoad({ filter: /ink[\\/]build[\\/]reconciler\.js$/ }, (args) => {
      let text = readFileSync(args.path, 'utf8');
      for (const [from, to] of EDITS) {
        if (!text.includes(from)) throw new Error(`ink: \`${from}\` not found in reconciler.js (a new version?)`);
        text = text.replace(from, to);
      }
      return { contents: text, resolveDir: dirname(args.path) };
    });
  },
};

/**
 * jsonc-parser's `main` is UMD, whose require() calls (through the factory's parameter) no bundler follows: its ES
 * build instead, with the default export Node gives a CommonJS module (its exports object), which src imports.
 */
const jsoncParserEsm = {
  name: 'jsonc-parser-esm',
  setup(build) {
    build.onResolve({ filter: /^jsonc-parser$/ }, () => ({ path: 'jsonc-parser', namespace: 'jsonc-parser-esm' }));
    build.onLoad({ filter: /.*/, namespace: 'jsonc-parser-esm' }, () => {
      const esm = require.resolve('jsonc-parser/lib/esm/main.js');
      const from = JSON.stringify(esm);
      return {
        contents: `export * from ${from};\nimport * as all from ${from};\nexport default all;\n`,
        resolveDir: ROOT,
      };
    });
  },
};

/**
 * src/tui/inkOutputClass.ts finds ink's Output class next to ink's entry point, which the executable does not have:
 * in the bundle it imports it instead (the module ink's renderer imports, so the TUI's faster Output.get is the one
 * ink calls), with ink's version as it is at build time. checkInkOutput makes sure it did.
 */
const inkOutputInBundle = {
  name: 'ink-output-in-bundle',
  setup(build) {
    build.onResolve({ filter: /(^|\/)inkOutputClass\.js$/ }, (args) =>
      args.importer.startsWith(SRC) ? { path: 'ink-output-class', namespace: 'ink-output-in-bundle' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'ink-output-in-bundle' }, () => {
      const entry = require.resolve('ink');
      const output = join(dirname(entry), 'output.js');
      const { version } = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8'));
      return {
        contents: `import Output from ${JSON.stringify(output)};\nexport async function loadInkOutput() { return { version: ${JSON.stringify(version)}, Output }; }\n`,
        resolveDir: ROOT,
      };
    });
  },
};

/**
 * Whether the bundle's TUI can make its frames with src/tui/inkOutput.ts's get, from esbuild's account of the bundle
 * (its metafile): inkOutputInBundle took the place of inkOutputClass.ts for its one importer, the node-only module
 * is not in the bundle (in an executable it finds no ink, and the TUI would quietly keep ink's own, slower get), and
 * the Output it imports is the one ink's renderer imports. The executable's test also sees it happen at run time
 * (NOVA_DOCTOR_SEA_DEBUG=ink-output).
 */
function checkInkOutput({ inputs, outputs }) {
  const VIRTUAL = 'ink-output-in-bundle:ink-output-class';
  const OUTPUT_JS = /(^|[\\/])ink[\\/]build[\\/]output\.js$/;
  const importers = Object.keys(inputs).filter((p) => inputs[p].imports.some((i) => i.path === VIRTUAL));
  const outputJs = (paths) =>
    new Set(paths.flatMap((p) => inputs[p].imports.map((i) => i.path).filter((i) => OUTPUT_JS.test(i))));
  const ours = inputs[VIRTUAL] ? [...outputJs([VIRTUAL])] : [];
  const inks = [...outputJs(Object.keys(inputs).filter((p) => p !== VIRTUAL))];
  const bundled = Object.values(outputs).some((o) => (o.inputs[VIRTUAL]?.bytesInOutput ?? 0) > 0);
  const finder = Object.keys(inputs).filter((p) => /(^|[\\/])inkOutputClass\.[jt]s$/.test(p));
  if (importers.length !== 1 || !bundled || finder.length > 0 || ours.length !== 1 || inks.join() !== ours.join())
    fail(
      `ink's Output class is not given to the TUI as it must be (inkOutputInBundle): imported by ${importers.length} ` +
        `module(s) (1 expected), in the bundle: ${bundled}, node-only finder bundled: ${finder.join(', ') || 'no'}, ` +
        `its output.js: ${ours.join(', ') || 'none'}, ink's: ${inks.join(', ') || 'none'}`,
    );
}

/**
 * mysql2 tries `require('cardinal')` (debug highlighting) when it loads; an executable's require() loads built-in
 * modules only and warns on stderr for anything else. It falls back as it does when cardinal is not installed.
 */
const mysql2WithoutCardinal = {
  name: 'mysql2-without-cardinal',
  setup(build) {
    build.onLoad({ filter: /mysql2[\\/]lib[\\/]helpers\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const REQUIRE = /require\(`cardinal\$\{REQUIRE_TERMINATOR\}`\)/;
      if (!REQUIRE.test(text)) throw new Error('mysql2: the cardinal require was not found (a new version?)');
      return { contents: text.replace(REQUIRE, 'undefined'), resolveDir: dirname(args.path) };
    });
  },
};

const COMMON = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  write: false,
  // Whitespace and syntax only: names stay, so an internal error's stack still says where.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
};

/** Runs a command quietly; its output goes to stderr only when it fails (`loud`). Null when it failed. */
function run(file, args, loud = false, cwd = undefined) {
  try {
    return execFileSync(file, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (e) {
    if (loud) process.stderr.write(`${e.stdout ?? ''}${e.stderr ?? e.message}\n`);
    return null;
  }
}

async function bundle(esbuild) {
  const workerSources = {};
  for (const [name, entry] of Object.entries(WORKERS)) {
    const out = await esbuild.build({
      ...COMMON,
      entryPoints: [join(ROOT, entry)],
      format: 'esm',
      // A worker starts no workers of its own (the gzip helper's script comes from the calling thread).
      plugins: [replaceWorkerScript(join(SRC, 'sea', 'noWorkers.ts')), jsoncParserEsm],
      banner: {
        // NOVA_DOCTOR_SEA_DEBUG=workers: each worker says it started (the executable's test checks they do).
        js: `if (process.env.NOVA_DOCTOR_SEA_DEBUG === 'workers') process.stderr.write(${JSON.stringify(`nova-doctor: worker ${name} started\n`)});`,
      },
    });
    workerSources[name] = out.outputFiles[0].text;
  }
  const out = await esbuild.build({
    ...COMMON,
    entryPoints: [join(SRC, 'sea', 'main.ts')],
    format: 'cjs',
    metafile: true,
    plugins: [
      replaceWorkerScript(join(SRC, 'sea', 'workerScript.ts')),
      jsoncParserEsm,
      yogaSync,
      inkWithoutDevtools,
      inkOutputInBundle,
      mysql2WithoutCardinal,
    ],
    define: {
      ...COMMON.define,
      // Only the demo's fixture paths use it at load time; beside the executable they simply do not exist.
      'import.meta.url': 'NOVA_DOCTOR_EXECUTABLE_URL',
      NOVA_DOCTOR_WORKER_SOURCES: JSON.stringify(workerSources),
    },
    banner: { js: "var NOVA_DOCTOR_EXECUTABLE_URL = require('node:url').pathToFileURL(process.execPath).href;" },
  });
  checkInkOutput(out.metafile);
  return { main: out.outputFiles[0].text, workers: workerSources };
}

async function main() {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    fail(`builds a Linux x86-64 executable, with that platform's node (this is ${process.platform}-${process.arch})`);
  try {
    require('node:sea');
  } catch {
    fail(`this node (${process.version}, ${process.execPath}) cannot make single executables (node:sea is missing)`);
  }
  // A distribution's node may be a small launcher for a shared libnode: the fuse is not in the file we would copy.
  if (!readFileSync(process.execPath).includes(SEA_FUSE))
    fail(`${process.execPath} has no single-executable fuse to flip: build with an official Node 20 binary`);
  let esbuild;
  let postjectCli;
  try {
    esbuild = require('esbuild');
    postjectCli = require.resolve('postject/dist/cli.js');
  } catch (e) {
    fail(`esbuild and postject are devDependencies: run npm install (${e.message})`);
  }

  const out = resolve(argValue('--out') ?? join(ROOT, 'dist', 'nova-doctor'));
  // Beside the output: builds for different outputs (the test's, dist's) do not meet.
  const work = `${out}.build`;
  mkdirSync(work, { recursive: true });
  try {
    const started = Date.now();
    const { main: script, workers } = await bundle(esbuild);
    const mainFile = join(work, 'nova-doctor.cjs');
    writeFileSync(mainFile, script);
    const blob = join(work, 'sea.blob');
    const config = join(work, 'sea-config.json');
    writeFileSync(
      config,
      // Relative, from the build directory: it is the file name stack traces give (not this machine's temp path).
      // The code cache (V8's compiled code, made now) saves a third of the start-up, at the price of a file that
      // differs from build to build: the sha256 identifies the file built, it does not reproduce a build.
      JSON.stringify({
        main: 'nova-doctor.cjs',
        output: blob,
        disableExperimentalSEAWarning: true,
        useCodeCache: true,
      }),
    );
    if (run(process.execPath, ['--experimental-sea-config', config], true, work) === null)
      fail(`${process.execPath} --experimental-sea-config failed`);

    const exe = join(work, 'nova-doctor');
    // Without its symbol table (binutils' strip, where there is one): 10 MiB less to copy, and nothing that runs
    // needs it (the dynamic symbols that native addons would link against stay).
    const stripped = run('strip', ['-o', exe, process.execPath]) !== null;
    if (!stripped) copyFileSync(process.execPath, exe);
    chmodSync(exe, 0o755);
    // In a child process: postject (LIEF) writes warnings about ELF notes it does not know, which are noise here.
    if (run(process.execPath, [postjectCli, exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], true) === null)
      fail('postject could not inject the blob');
    mkdirSync(dirname(out), { recursive: true });
    rmSync(out, { force: true });
    copyFileSync(exe, out);
    chmodSync(out, 0o755);

    const sha256 = createHash('sha256').update(readFileSync(out)).digest('hex');
    writeFileSync(`${out}.sha256`, `${sha256}  ${out.split('/').pop()}\n`);
    const mib = (n) => `${(n / 2 ** 20).toFixed(1)} MiB`;
    const workerBytes = Object.values(workers).reduce((n, s) => n + s.length, 0);
    process.stdout.write(
      [
        `${relative(process.cwd(), out) || out}: Linux x86-64 single executable, node ${process.version}${stripped ? ' (stripped)' : ''}`,
        `  size    ${mib(statSync(out).size)} (program ${mib(script.length)}, of it worker scripts ${mib(workerBytes)})`,
        `  sha256  ${sha256}`,
        `  built in ${((Date.now() - started) / 1000).toFixed(1)} s`,
        '',
      ].join('\n'),
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main().catch((e) => {
  process.stderr.write(`build-binary: ${e instanceof BuildError ? e.message : e?.stack}\n`);
  process.exitCode = 1;
});
