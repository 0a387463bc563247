// A throwaway MariaDB server on a temp dir and its own socket: for tests and the demo command.
// Start-up is fast because the initialised datadir is built once per MariaDB version and copied afterwards.
// The server never outlives us: it is stopped on exit, and a watchdog shell kills it if node dies harder than that.
//
// It runs as whoever starts it (root included: mariadbd then needs --user=root), and its root account has no
// password. So nobody else may reach it: no TCP listener at all (--skip-networking), the socket in a 0700 directory,
// and files written or read by the server (SELECT … INTO OUTFILE, LOAD DATA, LOAD_FILE) confined to a directory of
// its own (--secure-file-priv). The initialised datadirs it copies are cached under $XDG_CACHE_HOME/nova-doctor
// (~/.cache/nova-doctor), never in a shared temp dir, and reused only when they pass ownerCheck: ours, not a symlink,
// writable by no one else, and every directory above writable only by us or root (or sticky, like /tmp).

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import {
  access,
  chmod,
  cp,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
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
  /** `localhost`: the server has no TCP listener, only its socket. */
  readonly host: string;
  readonly socketPath: string;
  /** `root` with an empty password, through the socket (in a 0700 directory) only. */
  readonly user: string;
  readonly password: string;
  readonly version: string;
  readonly pid: number;
  /** The temp dir (0700) holding datadir, socket, pid file, error log and `files` (secure_file_priv); removed by stop(). */
  readonly baseDir: string;
  /** SQLAlchemy URL through the socket: `mysql+pymysql://root:@localhost:3306/nova_api?charset=utf8&unix_socket=…`. */
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

const READY = 'nova-doctor-ready';
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

/**
 * Where initialised datadirs are cached: `$XDG_CACHE_HOME/nova-doctor` (default `~/.cache/nova-doctor`), created
 * 0700 and checked every time (see ownerCheck). Throws DbError 'server-missing' naming the directory when it is
 * not safe to use: a datadir from a directory someone else can write would give them our server.
 */
export async function cacheRoot(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.cache');
  const root = join(base, 'nova-doctor');
  await mkdir(root, { recursive: true, mode: 0o700 });
  const problem = await ownerCheck(root, { ancestors: true });
  if (problem) {
    throw new DbError(
      'server-missing',
      `refusing the private MariaDB cache ${root}: ${problem}; remove it (or set XDG_CACHE_HOME to a directory of your own)`,
    );
  }
  return root;
}

/**
 * Why `path` is not safe to trust, or null when it is: it must be a real directory (not a symlink) owned by us and
 * writable by no one else; with `ancestors`, every directory above it must be owned by us or root and not writable
 * by others unless sticky (as /tmp is), so no one else can swap it for their own. ssh's rule for its keys.
 */
export async function ownerCheck(path: string, opts: { ancestors?: boolean } = {}): Promise<string | null> {
  const uid = process.getuid?.() ?? -1;
  if (uid < 0) return null; // no owners to compare on this platform
  const st = await lstat(path).catch(() => null);
  if (!st) return 'it does not exist';
  if (st.isSymbolicLink()) return 'it is a symbolic link';
  if (!st.isDirectory()) return 'it is not a directory';
  if (st.uid !== uid) return `it is owned by uid ${st.uid}, not by us (uid ${uid})`;
  if (st.mode & 0o022)
    return `it is writable by ${st.mode & 0o020 ? 'its group' : 'others'} (mode ${(st.mode & 0o7777).toString(8)})`;
  if (!opts.ancestors) return null;
  for (let dir = dirname(path), prev = path; dir !== prev; prev = dir, dir = dirname(dir)) {
    const a = await stat(dir).catch(() => null);
    if (!a) return `${dir} cannot be read`;
    if (a.uid !== uid && a.uid !== 0) return `${dir} above it is owned by uid ${a.uid}`;
    if (a.mode & 0o022 && !(a.mode & 0o1000)) {
      return `${dir} above it is writable by ${a.mode & 0o020 ? 'its group' : 'others'} (mode ${(a.mode & 0o7777).toString(8)})`;
    }
  }
  return null;
}

/**
 * A cached datadir in `dir` that is ours and ready, or null. One that is there but fails ownerCheck is removed (to
 * be built again); when it cannot be removed, we refuse rather than start from it.
 */
async function usableTemplate(dir: string): Promise<string | null> {
  if (!existsSync(dir)) return null;
  const problem = (await ownerCheck(dir)) ?? (await ownerCheck(join(dir, 'data')));
  if (problem) {
    try {
      await rm(dir, { recursive: true, force: true });
    } catch (e) {
      throw new DbError(
        'server-missing',
        `refusing the cached MariaDB datadir ${dir}: ${problem}, and it cannot be removed (${(e as NodeJS.ErrnoException).code ?? e})`,
      );
    }
    return null;
  }
  return existsSync(join(dir, 'data', READY)) ? join(dir, 'data') : null;
}

/** Move a finished `building` dir to `dir` unless another process got there first with one as good. */
async function publish(building: string, dir: string): Promise<void> {
  try {
    await rename(building, dir);
  } catch {
    // Another process finished first (its template is as good as ours), or a broken leftover is in the way.
    if ((await usableTemplate(dir)) === null) {
      await rm(dir, { recursive: true, force: true });
      await rename(building, dir);
    }
  }
}

/** The initialised datadir for this server version, built on first use (atomically, so parallel tests agree). */
async function templateDir(installDb: string, version: string): Promise<string> {
  const root = await cacheRoot();
  const dir = join(root, `mariadb-${version}`);
  const ready = await usableTemplate(dir);
  if (ready) return ready;
  const building = await mkdtemp(join(root, 'building-'));
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
    await chmod(data, 0o700);
    await writeFile(join(data, READY), `${version}\n`);
    await publish(building, dir);
    return join(dir, 'data');
  } finally {
    await rm(building, { recursive: true, force: true });
  }
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
  let template = await templateDir(installDb, version);
  if (opts.seed) template = await seededTemplate(mariadbd, version, template, opts.seed, opts);
  return (await launch(mariadbd, version, template, opts)).server;
}

/** The base template plus whatever `seed.build` put in it, built once per (version, key), atomically. */
async function seededTemplate(
  mariadbd: string,
  version: string,
  base: string,
  seed: SeedSpec,
  opts: PrivateMariadbOptions,
): Promise<string> {
  const key = seed.key.replace(/[^\w.-]/g, '_');
  const root = await cacheRoot();
  const dir = join(root, `mariadb-${version}-${key}`);
  const ready = await usableTemplate(dir);
  if (ready) {
    const now = new Date();
    await utimes(dir, now, now).catch(() => undefined); // last use, for pruneStaleSeeds
    return ready;
  }
  const { server, keepData } = await launch(mariadbd, version, base, { ...opts, seed: undefined });
  try {
    await seed.build(server);
  } catch (e) {
    await server.stop();
    throw e;
  }
  const datadir = await keepData();
  const building = await mkdtemp(join(root, 'building-'));
  try {
    await rename(datadir, join(building, 'data'));
    await writeFile(join(building, 'data', READY), `${version} ${key}\n`);
    await publish(building, dir);
  } finally {
    await rm(building, { recursive: true, force: true });
    await rm(dirname(datadir), { recursive: true, force: true });
  }
  await pruneStaleSeeds(root, version, key);
  return join(dir, 'data');
}

/**
 * Seeds of the same family (key up to its last '-', e.g. `cloud-<hash>`) built for inputs that have changed since:
 * ~100 MB each, so they go once nobody has used them for ten minutes.
 */
async function pruneStaleSeeds(root: string, version: string, key: string): Promise<void> {
  const family = `mariadb-${version}-${key.slice(0, key.lastIndexOf('-') + 1)}`;
  if (family === `mariadb-${version}-`) return; // a key without a family: nothing to compare with
  const current = `mariadb-${version}-${key}`;
  const cutoff = Date.now() - 10 * 60_000;
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (!name.startsWith(family) || name === current) continue;
    const path = join(root, name);
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
  // mkdtemp makes it 0700: the socket inside is reachable by us alone, whatever the socket file's own mode.
  const baseDir = await mkdtemp(join(tmpdir(), 'nova-doctor-mdb-'));
  const datadir = join(baseDir, 'data');
  await cp(templateData, datadir, { recursive: true });
  await rm(join(datadir, READY), { force: true });
  await mkdir(join(baseDir, 'tmp'), { mode: 0o700 });
  const filesDir = join(baseDir, 'files');
  await mkdir(filesDir, { mode: 0o700 });
  const socketPath = join(baseDir, 'mysqld.sock');
  const errorLog = join(baseDir, 'error.log');

  installExitHook();
  const args = [
    '--no-defaults',
    `--datadir=${datadir}`,
    `--socket=${socketPath}`,
    '--skip-networking', // @@port then reads 0
    `--secure-file-priv=${filesDir}`,
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
    host: 'localhost',
    socketPath,
    user: 'root',
    password: '',
    version,
    get pid() {
      return child.pid ?? -1;
    },
    baseDir,
    url(database, credentials) {
      return socketUrl(socketPath, database, credentials ?? { user: 'root', password: '' });
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

/** RFC 3986 userinfo encoding: what SQLAlchemy's unquote reverses. */
function enc(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * A SQLAlchemy URL for a database on a server reached through `socketPath`, as pymysql and nova-doctor read it:
 * `unix_socket` wins over host and port. The host and port are there for cell URL templates
 * (`{hostname}:{port}`), which nova fills from `[database] connection` and which would read `None` without them.
 */
export function socketUrl(
  socketPath: string,
  database: string,
  credentials: { user: string; password: string },
): string {
  return `mysql+pymysql://${enc(credentials.user)}:${enc(credentials.password)}@localhost:3306/${database}?charset=utf8&unix_socket=${enc(socketPath).replaceAll('%2F', '/')}`;
}
