// The single executable (`npm run build:binary`, src/sea/build.mjs) where no Node.js is installed, run from a temp dir
// outside the source tree in a mount namespace: in the Debian trixie root when one has been built here
// ($NOVA_DOCTOR_TRIXIE_ROOT or /var/cache/nova-doctor/trixie-root), else on this machine with every `node` covered
// by an empty, non-executable file and this tree and the global node_modules by empty directories. There it scans
// the fixture scheduler log (plain, then big plain and gzipped logs on two threads: the scan worker, the gzip helper,
// the WebAssembly kernel), sweeps the fixture cloud with `trace --all` (the spec reader's worker), plans a repair,
// applies, resumes and undoes one, and opens the TUI in tmux; each answer is compared with `node bin/nova-doctor.js`.
// Skipped only when the executable cannot be built here (no SEA in this node, no esbuild or postject, not Linux x64).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedCloud, startCloudServer } from '../../src/db/loadCloud.js';
import type { PrivateMariadb } from '../../src/db/privateMariadb.js';
import { hasTmux, startTmux, type TmuxSession } from '../e2e/tmux.js';

const ROOT = join(import.meta.dirname, '..', '..');
const LAUNCHER = join(ROOT, 'bin', 'nova-doctor.js');
// Issue 15's newcomer: a nova 2025.1 scheduler log and cloud (written by nova 31's own code), as on a current controller.
const FIXTURE_LOG = join(ROOT, 'test', 'fixtures', 'nova', '2025.1', 'logs', 'scheduler-2025.1.log');
const FIXTURE_CLOUD = join(ROOT, 'test', 'fixtures', 'nova', '2025.1', 'cloud');

/** Why the executable cannot be built here, or null when it can. */
function cannotBuild(): string | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return `not Linux x86-64 (${process.platform})`;
  const require = createRequire(import.meta.url);
  try {
    require('node:sea');
    require.resolve('esbuild');
    require.resolve('postject/dist/cli.js');
  } catch (e) {
    return (e as Error).message;
  }
  // A distribution's node may be a launcher for a shared libnode, without the fuse an executable needs.
  if (!readFileSync(process.execPath).includes('NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'))
    return `${process.execPath} cannot become a single executable`;
  return null;
}

const skipReason = cannotBuild();
if (skipReason) console.warn(`single executable test skipped: ${skipReason}`);

let dir: string;
let exe: string;
let isolate: string;
let isolation: 'trixie root' | 'mount namespace' | 'PATH only';
let server: PrivateMariadb;
let cloud: LoadedCloud;
let conf: string;
let session: TmuxSession | null = null;

/** Every `node`/`nodejs` reachable on PATH or in the usual places. */
function nodeBinaries(): string[] {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/local/bin', '/bin'];
  const found = new Set<string>();
  for (const d of dirs)
    for (const name of ['node', 'nodejs']) if (d && existsSync(join(d, name))) found.add(join(d, name));
  return [...found];
}

/** A Debian trixie root (debootstrap, no Node) when one has been built here: the closest thing to a bare controller. */
function trixieRoot(): string | null {
  const root = process.env.NOVA_DOCTOR_TRIXIE_ROOT || '/var/cache/nova-doctor/trixie-root';
  const complete = ['bin/sh', 'etc/os-release', 'usr/lib/x86_64-linux-gnu/libstdc++.so.6', 'tmp', 'proc', 'dev'];
  return complete.every((f) => existsSync(join(root, f))) ? root : null;
}

/**
 * A script that runs its arguments where no Node is, from the temp dir (outside the source tree). In a mount
 * namespace (root and unshare(1) needed), either in the trixie root (a tmpfs on its /tmp holding only the temp
 * dir, so the root itself is not changed) or on this machine with every node binary covered by an empty file
 * without the exec bit and the source tree and global node_modules by an empty directory. Both check that `node`
 * does not run. Without a namespace, only PATH leaves node out.
 */
function writeIsolation(socketDir: string): void {
  const checkAndRun = [
    `cd '${dir}'`,
    "if node -e 0 >/dev/null 2>&1; then echo 'isolation: node still runs' >&2; exit 99; fi",
    'exec "$@"',
  ];
  const root = trixieRoot();
  isolate = join(dir, 'no-node.sh');
  const empty = join(dir, 'empty');
  writeFileSync(empty, '', { mode: 0o644 });
  if (spawnSync('unshare', ['--mount', '--fork', '--', '/bin/true']).status !== 0) {
    isolation = 'PATH only';
    console.warn('single executable test: no mount namespace here (not root?): node is only left off PATH');
    writeFileSync(isolate, `set -e\nPATH='${join(dir, 'no-bin')}'\n${checkAndRun.join('\n')}\n`);
  } else if (root && dir.startsWith('/tmp/')) {
    isolation = 'trixie root';
    const inner = join(dir, 'in-root.sh');
    writeFileSync(inner, `set -e\n${checkAndRun.join('\n')}\n`);
    const lines = [
      'set -e',
      `mount -t tmpfs tmpfs '${root}/tmp'`,
      `mkdir -p '${root}${dir}'`,
      `mount --bind '${dir}' '${root}${dir}'`,
      // The private MariaDB listens only on its socket: its directory is shown inside too.
      `mkdir -p '${root}${socketDir}'`,
      `mount --bind '${socketDir}' '${root}${socketDir}'`,
      `mount -t proc proc '${root}/proc'`,
      `mount --rbind /dev '${root}/dev'`,
      // Should the root have gained a node since (it is built for other work too), it is covered as well.
      ...['/usr/bin/node', '/usr/local/bin/node', '/usr/bin/nodejs'].map(
        (n) => `if [ -e '${root}${n}' ]; then mount --bind '${empty}' '${root}${n}'; fi`,
      ),
      `exec chroot '${root}' /bin/sh '${inner}' "$@"`,
    ];
    writeFileSync(isolate, `${lines.join('\n')}\n`);
  } else {
    isolation = 'mount namespace';
    const emptyDir = join(dir, 'empty.d');
    mkdirSync(emptyDir);
    const hideDirs = [ROOT, '/usr/lib/node_modules', '/usr/local/lib/node_modules', '/usr/share/nodejs'].filter((d) =>
      existsSync(d),
    );
    const lines = [
      'set -e',
      ...nodeBinaries().map((n) => `mount --bind '${empty}' '${n}'`),
      ...hideDirs.map((d) => `mount --bind '${emptyDir}' '${d}'`),
      ...checkAndRun,
    ];
    writeFileSync(isolate, `${lines.join('\n')}\n`);
  }
  console.info(`single executable test: runs it in ${isolation === 'trixie root' ? `${root} (trixie)` : isolation}`);
}

/** The command line that runs the executable with `args` where no Node is (for spawn, or a shell in tmux). */
function noNode(args: string[]): string[] {
  const run = ['/bin/sh', isolate, exe, ...args];
  return isolation === 'PATH only' ? run : ['unshare', '--mount', '--fork', '--', ...run];
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

const ENV = (() => {
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_STATE_HOME: '' };
  delete env.NODE_OPTIONS;
  delete env.NODE_PATH;
  delete env.CI;
  return env;
})();

function runExe(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const [file, ...rest] = noNode(args);
  const r = spawnSync(file!, rest, {
    cwd: dir,
    env: { ...ENV, XDG_STATE_HOME: join(dir, 'state'), ...env },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function runNode(args: string[]): Run {
  const r = spawnSync(process.execPath, [LAUNCHER, ...args], {
    cwd: dir,
    env: { ...ENV, XDG_STATE_HOME: join(dir, 'state-node') },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** stderr without the lines NOVA_DOCTOR_SEA_DEBUG=workers adds. */
const ownStderr = (r: Run) => r.stderr.replace(/^nova-doctor: worker \S+ started\n/gm, '');

/** A JSON report without what differs from run to run (timings). */
function report(r: Run): Record<string, unknown> {
  const parsed = JSON.parse(r.stdout) as Record<string, unknown>;
  delete parsed.stats;
  return parsed;
}

async function rowsHash(): Promise<string> {
  const conn = await server.connect();
  try {
    const parts: unknown[] = [];
    for (const db of [cloud.databases.api, cloud.databases.cell1, cloud.databases.cell2])
      for (const table of ['request_specs', 'instances', 'instance_system_metadata', 'block_device_mapping']) {
        const [has] = await conn.query<RowDataPacket[]>(
          'SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?',
          [db, table],
        );
        if (has.length === 0) continue;
        const [r] = await conn.query<RowDataPacket[]>(`SELECT * FROM \`${db}\`.\`${table}\` ORDER BY id`);
        parts.push(r);
      }
    return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  } finally {
    await conn.end();
  }
}

describe.skipIf(skipReason !== null)('the single executable, where no Node.js is installed', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nd-sea-'));
    mkdirSync(join(dir, 'state'), { mode: 0o700 });
    exe = join(dir, 'nova-doctor');
    execFileSync(process.execPath, [join(ROOT, 'src', 'sea', 'build.mjs'), '--out', exe], {
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 180_000,
    });
    ({ server, cloud } = await startCloudServer({ cloudDir: FIXTURE_CLOUD }));
    writeIsolation(dirname(server.socketPath));
    conf = join(dir, 'nova.conf');
    writeFileSync(conf, cloud.novaConf, { mode: 0o600 });
  }, 300_000);

  afterAll(async () => {
    session?.kill();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('has no node to run: the isolation holds, and the executable still answers --help and --version', () => {
    if (isolation !== 'PATH only') {
      const r = spawnSync('unshare', ['--mount', '--fork', '--', '/bin/sh', isolate, '/bin/sh', '-c', 'node -v'], {
        encoding: 'utf8',
      });
      expect(r.status).not.toBe(0);
    }
    const help = runExe(['--help']);
    expect(help.stderr).toBe('');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: nova-doctor/);
    expect(help.stdout).toContain('scan [options]');
    expect(runExe(['--version']).stdout.trim()).toBe(runNode(['--version']).stdout.trim());
    // The demo's cloud is the source tree's: the executable says so instead of failing inside.
    const demo = runExe(['demo']);
    expect(demo.status).toBe(2);
    expect(demo.stderr).toContain('the demo needs the source tree');
  });

  it('scans the scheduler log as node does: plain in one thread, then big plain and gzipped logs on two', () => {
    if (isolation !== 'PATH only') {
      const hidden = runExe(['scan', FIXTURE_LOG]);
      expect(hidden.stdout + hidden.stderr).toContain('scheduler-2025.1.log: no such file'); // the tree is out of sight
      expect(hidden.status).toBe(2); // nothing could be read: bad usage (README, exit codes)
    }
    const log = join(dir, 'scheduler-2025.1.log');
    writeFileSync(log, readFileSync(FIXTURE_LOG));
    const mine = runExe(['scan', '--json', log]);
    const theirs = runNode(['scan', '--json', log]);
    expect(mine.status).toBe(theirs.status);
    expect(mine.stderr).toBe(theirs.stderr);
    expect(report(mine)).toEqual(report(theirs));
    const expected = report(theirs) as { instances: { uuid: string }[] };
    expect(expected.instances.length).toBeGreaterThan(5);
    const uuids = expected.instances.map((i) => i.uuid).sort();

    // Threads start from 128 MiB of log (a .gz counting 8x its size): 62 copies, and 8 copies gzipped without
    // compression (stored blocks: still read through the gzip helper, at once).
    const text = readFileSync(FIXTURE_LOG);
    const big = join(dir, 'big.log');
    writeFileSync(big, Buffer.concat(Array.from({ length: 62 }, () => text)));
    expect(statSync(big).size).toBeGreaterThanOrEqual(128 << 20);
    const gz = join(dir, 'big.log.gz');
    writeFileSync(gz, gzipSync(Buffer.concat(Array.from({ length: 8 }, () => text)), { level: 0 }));
    expect(statSync(gz).size * 8).toBeGreaterThanOrEqual(128 << 20);
    try {
      for (const [file, worker] of [
        [big, 'worker.js'],
        [gz, 'gunzipWorker.js'],
      ] as const) {
        const r = runExe(['scan', '--json', '--threads', '2', file], { NOVA_DOCTOR_SEA_DEBUG: 'workers' });
        expect(r.stderr).toContain(`nova-doctor: worker ${worker} started`);
        expect(r.status).toBe(theirs.status);
        const out = JSON.parse(r.stdout) as {
          instances: { uuid: string }[];
          warnings: unknown[];
          stats: { workers: number; engine: string };
        };
        expect(out.stats).toMatchObject({ workers: 2, engine: 'wasm' });
        expect(out.warnings).toEqual([]);
        expect(out.instances.map((i) => i.uuid).sort()).toEqual(uuids);
      }
    } finally {
      rmSync(big, { force: true });
      rmSync(gz, { force: true });
    }
  }, 120_000);

  it('sweeps the cloud with trace --all as node does', () => {
    const mine = runExe(['trace', '--all', '--json', '--config', conf]);
    const theirs = runNode(['trace', '--all', '--json', '--config', conf]);
    expect([1, 3]).toContain(mine.status); // stale instances; a disabled cell skipped
    expect(mine.status).toBe(theirs.status);
    expect(ownStderr(mine)).toBe(theirs.stderr); // nothing more: no warning from the executable's require()
    const traced = report(mine) as { instances: unknown[] };
    expect(traced.instances.length).toBeGreaterThan(10);
    expect(traced).toEqual(report(theirs));
  }, 120_000);

  it('plans a repair (dry run) as node does, then applies one, undoes it and resumes: the rows come back', async () => {
    const mine = runExe(['repair', '--all', '--json', '--config', conf]);
    const theirs = runNode(['repair', '--all', '--json', '--config', conf]);
    expect(mine.status).toBe(theirs.status);
    expect(ownStderr(mine)).toBe(theirs.stderr);
    const plan = report(mine) as { dryRun: boolean; instances: { uuid: string; status: string }[] };
    expect(plan.dryRun).toBe(true);
    expect(plan).toEqual(report(theirs));

    const manifest = cloud.manifest as { instances: { uuid: string; displayName: string; repair: boolean }[] };
    const web = manifest.instances.find((i) => i.displayName === 'web01' && i.repair)!;
    const before = await rowsHash();
    const journal = join(dir, 'state', 'web01.jsonl');
    const apply = runExe(['repair', '--apply', '--yes', '--journal', journal, '--config', conf, web.uuid]);
    expect(apply.stderr).not.toMatch(/internal error/);
    expect(apply.status).toBe(0);
    expect(await rowsHash()).not.toBe(before);
    const resume = runExe(['repair', '--resume', '--journal', journal, '--config', conf]);
    expect(resume.status).toBe(0); // nothing was interrupted
    const undo = runExe(['undo', '--apply', '--yes', '--journal', journal, '--config', conf]);
    expect(undo.status).toBe(0);
    expect(await rowsHash()).toBe(before);
  }, 120_000);

  it.skipIf(!hasTmux())(
    'opens the TUI in tmux (ink, and yoga: WebAssembly), makes its frames with the incremental Output.get, and quits',
    async () => {
      const log = join(dir, 'scheduler-2025.1.log');
      if (!existsSync(log)) writeFileSync(log, readFileSync(FIXTURE_LOG));
      const quoted = noNode(['--config', conf, log]).map((a) => `'${a}'`);
      // NOVA_DOCTOR_SEA_DEBUG=ink-output: at exit the TUI says how its frames were made (on stderr, to a file here).
      const stderr = join(dir, 'tui.stderr');
      session = startTmux(`${quoted.join(' ')} 2>'${stderr}'`, {
        cwd: dir,
        env: { XDG_STATE_HOME: join(dir, 'state'), NOVA_DOCTOR_SEA_DEBUG: 'ink-output' },
      });
      const screen = await session.waitFor(/^ready/m, 60_000);
      expect(screen).toContain('nova-doctor  logs');
      expect(screen).toMatch(/\d+ instances\s+\d+ stale/);
      expect(screen).toContain('web01');
      expect(screen).toMatch(/j\/k move/);
      session.send('q');
      expect(await session.exitStatus()).toBe(0);
      expect(session.screen()).not.toContain('nova-doctor  logs');
      // Every frame through src/tui/inkOutput.ts's get: the bundle gave ink the Output that it replaces.
      expect(readFileSync(stderr, 'utf8')).toMatch(
        /^nova-doctor: ink output: incremental get installed \(ink [\d.]+\): [1-9]\d* frames made by it, 0 handed on to ink's own get$/m,
      );
    },
    90_000,
  );
});
