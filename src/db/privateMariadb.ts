// A throwaway MariaDB server on a temp dir, its own socket and a free port: for tests and the demo command.
// Start-up is fast because the initialised datadir is built once per MariaDB version and copied afterwards.
// The server never outlives us: it is stopped on exit, and a watchdog shell kills it if node dies harder than that.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { access, cp, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { DbError } from './errors.js';

const execFileP = promisify(execFile);

export interface PrivateMariadbOptions {
  /** Extra mariadbd arguments, e.g. `--innodb-buffer-pool-size=1G` for a benchmark. */
  extraArgs?: string[];
  /** How long to wait for the server to accept connections (default 30 s). */
  startTimeoutMs?: number;
  /** Start from a cached datadir that `build` filled once (e.g. with the fixture cloud). */
  seed?: SeedSpec;
  /** Directories to look for mariadbd in (default: PATH plus the usual sbin dirs). */
  searchPath?: readonly string[];
}

export interface SeedSpec {
  /** Identifies what `build` puts in the server (include a hash of its inputs); part of the cache dir name. */
  key: string;
  build(server: PrivateMariadb): Promise<void>;
}

export interface PrivateMariadb {
  readonly host: string;
  readonly port: number;
  readonly socketPath: string;
  /** `root` with an empty password (socket or TCP from 127.0.0.1). */
  readonly user: string;
  readonly password: string;
  readonly version: string;
  readonly pid: number;
  /** The temp dir holding datadir, socket, pid file and error log; removed by stop(). */
  readonly baseDir: string;
  /** SQLAlchemy URL over TCP, e.g. `mysql+pymysql://root:@127.0.0.1:41234/nova_api?charset=utf8`. */
  url(database: string, credentials?: { user: string; password: string }): string;
  /** A root connection (socket) for setting things up; the caller ends it. */
  connect(database?: string): Promise<mysql.Connection>;
  /** Shut the server down cleanly and remove its files. Safe to call twice. */
  stop(): Promise<void>;
  /** Let the server outlive this process (demo --keep): no exit hook or watchdog stops it any more. */
  detach(): void;
  /**
   * Stop mariadbd (SIGTERM, or SIGKILL with `crash`) and start it again with the same arguments on the same
   * datadir, socket and port; resolves once it accepts connections. `pid` then names the new process.
   */
  restart(opts?: { crash?: boolean }): Promise<void>;
}

const INSTALL_HINT = 'install MariaDB (Debian/Ubuntu: apt-get install mariadb-server) or put mariadbd on PATH';
// A small redo log keeps the template (copied for every server) at ~25 MB instead of ~110 MB.
const LOG_FILE_SIZE = '--innodb-log-file-size=8M';

/** Find an executable on PATH plus the sbin dirs Debian puts mariadbd in (often not on a user's PATH). */
async function which(name: string, searchPath?: readonly string[]): Promise<string | null> {
  const dirs = searchPath ?? [
    ...(process.env.PATH ?? '').split(delimiter),
    '/usr/sbin',
    '/usr/local/sbin',
    '/sbin',
    '/usr/local/mysql/bin',
  ];
  for (const dir of dirs) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      await access(p, 1 /* X_OK */);
      return p;
    } catch {
      // keep looking
    }
  }
  return null;
}

async function findBinaries(searchPath?: readonly string[]): Promise<{ mariadbd: string; installDb: string }> {
  const mariadbd = (await which('mariadbd', searchPath)) ?? (await which('mysqld', searchPath));
  const installDb = (await which('mariadb-install-db', searchPath)) ?? (await which('mysql_install_db', searchPath));
  if (!mariadbd || !installDb) {
    throw new DbError(
      'server-missing',
      `cannot start a private MariaDB: ${mariadbd ? 'mariadb-install-db' : 'mariadbd'} not found; ${INSTALL_HINT}`,
    );
  }
  return { mariadbd, installDb };
}

async function serverVersion(mariadbd: string): Promise<string> {
  const { stdout } = await execFileP(mariadbd, ['--no-defaults', '--version']);
  // "mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for debian-linux-gnu on x86_64 (Debian 12)"
  const v = /Ver\s+(\S+)/.exec(stdout)?.[1];
  if (!v) throw new DbError('server-missing', `cannot tell the version of ${mariadbd} ('${stdout.trim()}')`);
  return v.replace(/[^\w.+-]/g, '_');
}

/** The initialised datadir for this server version, built on first use (atomically, so parallel tests agree). */
async function templateDir(installDb: string, version: string): Promise<string> {
  const dir = join(tmpdir(), `nova-doctor-mariadb-template-${version}`);
  if (existsSync(join(dir, 'data', 'nova-doctor-ready'))) return dir;
  const building = await mkdtemp(join(tmpdir(), `nova-doctor-mariadb-building-`));
  try {
    const data = join(building, 'data');
    try {
      await execFileP(
        installDb,
        [
          '--no-defaults',
          `--datadir=${data}`,
          '--auth-root-authentication-method=normal',
          '--skip-test-db',
          '--user=root',
          LOG_FILE_SIZE,
        ],
        { maxBuffer: 16 * 1024 * 1024 },
      );
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      const last = (err.stderr ?? err.message).trim().split('\n').slice(-3).join(' | ');
      throw new DbError('server-missing', `mariadb-install-db failed: ${last}`);
    }
    await writeFile(join(data, 'nova-doctor-ready'), `${version}\n`);
    try {
      await rename(building, dir);
    } catch {
      // Another process finished first (its template is as good as ours), or a broken leftover is in the way.
      if (!existsSync(join(dir, 'data', 'nova-doctor-ready'))) {
        await rm(dir, { recursive: true, force: true });
        await rename(building, dir);
      }
    }
    return dir;
  } finally {
    await rm(building, { recursive: true, force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

const live = new Set<{ child: ChildProcess; baseDir: string }>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const s of live) {
      try {
        s.child.kill('SIGKILL');
      } catch {
        // already gone
      }
      rmSync(s.baseDir, { recursive: true, force: true });
    }
  });
}

/** A shell that waits for its stdin to close (i.e. for us to die) and then kills the server and removes its dir. */
function spawnWatchdog(pid: number, baseDir: string): ChildProcess {
  const dog = spawn(
    '/bin/sh',
    [
      '-c',
      'read _ignored; kill -9 "$1" 2>/dev/null; sleep 0.2; rm -rf "$2"',
      'nova-doctor-watchdog',
      String(pid),
      baseDir,
    ],
    {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    },
  );
  dog.unref();
  (dog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return dog;
}

async function tail(file: string, lines = 4): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim().split('\n').slice(-lines).join(' | ');
  } catch {
    return '(no error log)';
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function waitReady(socketPath: string, child: ChildProcess, timeoutMs: number, errorLog: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  child.once('exit', (code) => {
    exitCode = code;
  });
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new DbError('server-missing', `mariadbd exited (code ${exitCode}) while starting: ${await tail(errorLog)}`);
    }
    if (existsSync(socketPath)) {
      try {
        const c = await mysql.createConnection({ socketPath, user: 'root', password: '' });
        await c.end();
        return;
      } catch {
        // socket there but not accepting yet
      }
    }
    await new Promise((r) => setTimeout(r, 15));
  }
  throw new DbError(
    'server-missing',
    `mariadbd did not accept connections within ${timeoutMs} ms: ${await tail(errorLog)}`,
  );
}

/**
 * Start a private mariadbd. Throws DbError 'server-missing' (with how to install it) when MariaDB is absent.
 * With `seed`, the server starts from a datadir that `seed.build` filled once (cached under the seed's key).
 */
export async function startPrivateMariadb(opts: PrivateMariadbOptions = {}): Promise<PrivateMariadb> {
  const { mariadbd, installDb } = await findBinaries(opts.searchPath);
  const version = await serverVersion(mariadbd);
  let template = join(await templateDir(installDb, version), 'data');
  if (opts.seed) template = await seededTemplate(mariadbd, version, template, opts.seed, opts);
  return (await launch(mariadbd, version, template, opts)).server;
}

const READY = 'nova-doctor-ready';

/** The base template plus whatever `seed.build` put in it, built once per (version, key), atomically. */
async function seededTemplate(
  mariadbd: string,
  version: string,
  base: string,
  seed: SeedSpec,
  opts: PrivateMariadbOptions,
): Promise<string> {
  const key = seed.key.replace(/[^\w.-]/g, '_');
  const dir = join(tmpdir(), `nova-doctor-mariadb-template-${version}-${key}`);
  if (existsSync(join(dir, 'data', READY))) {
    const now = new Date();
    await utimes(dir, now, now).catch(() => undefined); // last use, for pruneStaleSeeds
    return join(dir, 'data');
  }
  const { server, keepData } = await launch(mariadbd, version, base, { ...opts, seed: undefined });
  let datadir: string;
  try {
    await seed.build(server);
  } catch (e) {
    await server.stop();
    throw e;
  }
  datadir = await keepData();
  const building = await mkdtemp(join(tmpdir(), 'nova-doctor-mariadb-building-'));
  try {
    await rename(datadir, join(building, 'data'));
    await rm(join(building, 'data', 'mysqld.sock'), { force: true });
    await writeFile(join(building, 'data', READY), `${version} ${key}\n`);
    try {
      await rename(building, dir);
    } catch {
      if (!existsSync(join(dir, 'data', READY))) {
        await rm(dir, { recursive: true, force: true });
        await rename(building, dir);
      }
    }
  } finally {
    await rm(building, { recursive: true, force: true });
    await rm(join(datadir, '..'), { recursive: true, force: true });
  }
  await pruneStaleSeeds(version, key);
  return join(dir, 'data');
}

/**
 * Seeds of the same family (key up to its last '-', e.g. `cloud-<hash>`) built for inputs that have changed since:
 * ~100 MB each, so they go once nobody has used them for ten minutes.
 */
async function pruneStaleSeeds(version: string, key: string): Promise<void> {
  const family = `nova-doctor-mariadb-template-${version}-${key.slice(0, key.lastIndexOf('-') + 1)}`;
  if (family.endsWith('-template-' + version + '-')) return; // a key without a family: nothing to compare with
  const current = `nova-doctor-mariadb-template-${version}-${key}`;
  const cutoff = Date.now() - 10 * 60_000;
  for (const name of await readdir(tmpdir()).catch(() => [] as string[])) {
    if (!name.startsWith(family) || name === current) continue;
    const path = join(tmpdir(), name);
    const st = await stat(path).catch(() => null);
    if (st && st.mtimeMs < cutoff) await rm(path, { recursive: true, force: true });
  }
}

async function launch(
  mariadbd: string,
  version: string,
  templateData: string,
  opts: PrivateMariadbOptions,
): Promise<{ server: PrivateMariadb; keepData: () => Promise<string> }> {
  const baseDir = await mkdtemp(join(tmpdir(), 'nova-doctor-mdb-'));
  const datadir = join(baseDir, 'data');
  await cp(templateData, datadir, { recursive: true });
  await rm(join(datadir, READY), { force: true });
  await mkdir(join(baseDir, 'tmp'));
  const socketPath = join(baseDir, 'mysqld.sock');
  const errorLog = join(baseDir, 'error.log');

  installExitHook();
  // A port picked by the kernel can be taken again before mariadbd binds it: try a few.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const args = [
      '--no-defaults',
      `--datadir=${datadir}`,
      `--socket=${socketPath}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      '--user=root',
      `--pid-file=${join(baseDir, 'mysqld.pid')}`,
      `--log-error=${errorLog}`,
      `--tmpdir=${join(baseDir, 'tmp')}`,
      '--innodb-buffer-pool-size=64M',
      LOG_FILE_SIZE,
      // A throwaway server need not survive a power cut: no fsync, no per-table files. Loading nova's ~100
      // tables per database drops from seconds to a fraction of one.
      '--innodb-flush-log-at-trx-commit=0',
      '--innodb-doublewrite=0',
      '--innodb-file-per-table=0',
      '--innodb-flush-method=nosync',
      '--skip-name-resolve',
      ...(opts.extraArgs ?? []),
    ];
    let child = spawn(mariadbd, args, { stdio: 'ignore' });
    child.unref();
    let entry = { child, baseDir };
    live.add(entry);
    let dog = child.pid ? spawnWatchdog(child.pid, baseDir) : null;
    try {
      await waitReady(socketPath, child, opts.startTimeoutMs ?? 30_000, errorLog);
    } catch (e) {
      live.delete(entry);
      child.kill('SIGKILL');
      dog?.kill('SIGKILL');
      const log = await tail(errorLog, 10);
      if (attempt < 4 && /Address already in use|Can't start server: Bind/i.test(log)) {
        await rm(socketPath, { force: true });
        continue;
      }
      await rm(baseDir, { recursive: true, force: true });
      throw e;
    }

    let stopped: Promise<void> | null = null;
    const shutdown = async (removeFiles: boolean) => {
      child.ref(); // keep node alive until the server has really gone
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM'); // mariadbd shuts down cleanly on TERM
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        await exited(child);
        clearTimeout(timer);
      }
      live.delete(entry);
      dog?.kill('SIGKILL');
      if (removeFiles) await rm(baseDir, { recursive: true, force: true });
    };
    const server: PrivateMariadb = {
      host: '127.0.0.1',
      port,
      socketPath,
      user: 'root',
      password: '',
      version,
      get pid() {
        return child.pid ?? -1;
      },
      baseDir,
      url(database, credentials) {
        const user = encodeURIComponent(credentials?.user ?? 'root');
        const pw = encodeURIComponent(credentials?.password ?? '');
        return `mysql+pymysql://${user}:${pw}@127.0.0.1:${port}/${database}?charset=utf8`;
      },
      connect(database) {
        return mysql.createConnection({ socketPath, user: 'root', password: '', database, multipleStatements: true });
      },
      stop() {
        stopped ??= shutdown(true);
        return stopped;
      },
      detach() {
        live.delete(entry);
        dog?.kill('SIGKILL');
        child.unref();
      },
      async restart(restartOpts) {
        if (stopped) throw new DbError('server-missing', 'cannot restart a private MariaDB that was stopped');
        const old = child;
        old.ref();
        if (old.exitCode === null && old.signalCode === null) {
          old.kill(restartOpts?.crash ? 'SIGKILL' : 'SIGTERM');
          const timer = setTimeout(() => old.kill('SIGKILL'), 30_000);
          await exited(old);
          clearTimeout(timer);
        }
        live.delete(entry);
        dog?.kill('SIGKILL');
        // A killed server leaves its socket file behind, and waitReady must not mistake it for the new one.
        await rm(socketPath, { force: true });
        child = spawn(mariadbd, args, { stdio: 'ignore' });
        child.unref();
        entry = { child, baseDir };
        live.add(entry);
        dog = child.pid ? spawnWatchdog(child.pid, baseDir) : null;
        // At least a minute: after a crash InnoDB recovers before it accepts connections.
        await waitReady(socketPath, child, Math.max(opts.startTimeoutMs ?? 30_000, 60_000), errorLog);
      },
    };
    return {
      server,
      keepData: async () => {
        await (stopped ??= shutdown(false));
        return datadir;
      },
    };
  }
}
