// The private MariaDB of the demo and the tests runs with a passwordless root (as root, when we are root): nobody
// else may reach it. No TCP listener, a socket in a 0700 directory, server-side files confined to its own directory,
// and cached datadirs reused only from a directory that is ours. Checked on real servers and through the real binary.
import { execFile } from 'node:child_process';
import { chmod, chown, cp, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheRoot, ownerCheck, startPrivateMariadb } from '../../src/db/privateMariadb.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'nova-doctor.js');
const NOBODY = 65534;
const UID = process.getuid?.() ?? -1;
// Only root can hand a directory to another user; the other checks run for anyone.
const asRoot = UID === 0;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, CI: '1', ...env }, maxBuffer: 64 << 20, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Inodes of every TCP socket in LISTEN state, IPv4 and IPv6. */
async function listeningInodes(): Promise<Set<string>> {
  const inodes = new Set<string>();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(f, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A' && cols[9]) inodes.add(cols[9]); // 0A: LISTEN
    }
  }
  return inodes;
}

/** The TCP sockets process `pid` listens on (by inode); [] when none. */
async function tcpListenersOf(pid: number): Promise<string[]> {
  const listening = await listeningInodes();
  const found: string[] = [];
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode && listening.has(inode)) found.push(inode);
  }
  return found;
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'nd-mdb-safety-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('a private MariaDB', () => {
  it('listens on no TCP port, keeps its socket in a 0700 directory and confines OUTFILE to its own directory', async () => {
    const server = await startPrivateMariadb();
    try {
      expect(await tcpListenersOf(server.pid)).toEqual([]);
      // The probe can fail: it finds a listener we open ourselves.
      const probe = createServer();
      await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
      expect(await tcpListenersOf(process.pid)).toHaveLength(1);
      await new Promise((r) => probe.close(r));
      expect((await stat(server.baseDir)).mode & 0o777).toBe(0o700);
      expect(server.socketPath.startsWith(`${server.baseDir}/`)).toBe(true);
      const c = await server.connect();
      try {
        const [rows] = await c.query('SELECT @@skip_networking AS noTcp, @@secure_file_priv AS files');
        expect(rows).toEqual([{ noTcp: 1, files: `${join(server.baseDir, 'files')}/` }]);
        const outside = join(scratch, 'root-owned-file');
        await expect(c.query(`SELECT 'x' INTO OUTFILE '${outside}'`)).rejects.toThrow(/--secure-file-priv/);
        await expect(stat(outside)).rejects.toThrow(/ENOENT/);
        await expect(c.query("SELECT LOAD_FILE('/etc/passwd') AS f")).resolves.toEqual([
          [{ f: null }],
          expect.anything(),
        ]);
      } finally {
        await c.end();
      }
    } finally {
      await server.stop();
    }
  });
});

describe('the datadir cache', () => {
  const env = (cache: string) => ({ ...process.env, XDG_CACHE_HOME: cache });

  it('is made 0700 under $XDG_CACHE_HOME/nova-doctor and accepted when it is ours', async () => {
    const cache = join(scratch, 'ok');
    const root = await cacheRoot(env(cache));
    expect(root).toBe(join(cache, 'nova-doctor'));
    expect((await stat(root)).mode & 0o777).toBe(0o700);
    expect(await ownerCheck(root, { ancestors: true })).toBeNull();
  });

  it.runIf(asRoot)('is refused when someone else owns it', async () => {
    const theirs = join(scratch, 'theirs');
    await mkdir(join(theirs, 'nova-doctor'), { recursive: true, mode: 0o700 });
    await chown(join(theirs, 'nova-doctor'), NOBODY, NOBODY);
    await expect(cacheRoot(env(theirs))).rejects.toThrow(
      `refusing the private MariaDB cache ${theirs}/nova-doctor: it is owned by uid ${NOBODY}, not by us (uid ${UID})`,
    );
  });

  it('is refused when others can write it, it is a symlink, or a directory above is writable', async () => {
    const open = join(scratch, 'open');
    await mkdir(join(open, 'nova-doctor'), { recursive: true });
    await chmod(join(open, 'nova-doctor'), 0o777);
    await expect(cacheRoot(env(open))).rejects.toThrow(/it is writable by its group \(mode 777\)/);

    const link = join(scratch, 'link');
    await mkdir(link);
    await symlink(join(scratch, 'ok', 'nova-doctor'), join(link, 'nova-doctor'));
    await expect(cacheRoot(env(link))).rejects.toThrow(/it is a symbolic link/);

    const shared = join(scratch, 'shared');
    await mkdir(shared);
    await chmod(shared, 0o777); // writable by all and not sticky: anyone could swap the cache for theirs
    await expect(cacheRoot(env(shared))).rejects.toThrow(`${shared} above it is writable by its group (mode 777)`);
    await chmod(shared, 0o1777); // sticky, as /tmp: fine
    await expect(cacheRoot(env(shared))).resolves.toBe(join(shared, 'nova-doctor'));
  });

  it.runIf(asRoot)(
    'a cached datadir that is not ours is rebuilt, never started from',
    async () => {
      const good = await cacheRoot();
      const base = (await readdir(good)).filter((n) => n.startsWith('mariadb-') && !n.includes('-cloud-'));
      expect(base.length).toBeGreaterThan(0);
      const cache = join(scratch, 'planted');
      const root = await cacheRoot(env(cache));
      const planted = join(root, base[0] as string);
      await cp(join(good, base[0] as string), planted, { recursive: true });
      await chown(planted, NOBODY, NOBODY);
      await chown(join(planted, 'data'), NOBODY, NOBODY);
      const before = process.env.XDG_CACHE_HOME;
      process.env.XDG_CACHE_HOME = cache;
      try {
        const server = await startPrivateMariadb();
        await server.stop();
      } finally {
        if (before === undefined) delete process.env.XDG_CACHE_HOME;
        else process.env.XDG_CACHE_HOME = before;
      }
      expect((await stat(planted)).uid).toBe(UID); // built again, by us
      expect(await ownerCheck(planted)).toBeNull();
    },
    120_000,
  );
});

describe('nova-doctor demo (the real binary)', () => {
  it('serves its cloud through the socket only; the kept server answers trace through the demo nova.conf', async () => {
    const demo = await run(['demo', '--keep']);
    const kept = /kept: (\S+) \(MariaDB pid (\d+);/.exec(demo.stderr);
    expect(kept, demo.stderr).not.toBeNull();
    const [, dir, pidText] = kept as RegExpExecArray;
    const pid = Number(pidText);
    try {
      // Without a terminal the demo prints its summary, which lists stale instances: 1, as trace would exit.
      expect(demo.code, demo.stderr).toBe(1);
      expect(demo.stdout).toMatch(/^\d+ instance\(s\): \d+ stale/);
      expect(await tcpListenersOf(pid)).toEqual([]);
      expect((await stat(dir as string)).mode & 0o777).toBe(0o700);
      const conf = await readFile(join(dir as string, 'nova.conf'), 'utf8');
      expect(conf).toContain(`unix_socket=${dir}/mysqld.sock`);
      expect(conf).not.toMatch(/127\.0\.0\.1/);
      const trace = await run(['trace', '--config', join(dir as string, 'nova.conf'), '--all', '--json']);
      expect(trace.code, trace.stderr).toBe(1); // stale instances found, every cell reached through the socket
      const report = JSON.parse(trace.stdout) as { cells: { reachable: boolean; name: string | null }[] };
      expect(report.cells.filter((c) => c.reachable).map((c) => c.name)).toEqual(
        expect.arrayContaining(['cell0', 'cell1', 'cell2']),
      );
    } finally {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
      for (let i = 0; i < 100; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      await rm(dir as string, { recursive: true, force: true });
    }
  }, 180_000);

  it.runIf(asRoot)(
    'refuses a cache directory that is not ours, in one line, before starting anything',
    async () => {
      const cache = join(scratch, 'demo-theirs');
      await mkdir(join(cache, 'nova-doctor'), { recursive: true, mode: 0o700 });
      await chown(join(cache, 'nova-doctor'), NOBODY, NOBODY);
      const r = await run(['demo'], { XDG_CACHE_HOME: cache });
      expect(r.code).toBe(4);
      const lines = r.stderr.trim().split('\n');
      expect(lines.at(-1)).toBe(
        `nova-doctor: refusing the private MariaDB cache ${cache}/nova-doctor: it is owned by uid ${NOBODY}, not by us (uid ${UID}); remove it (or set XDG_CACHE_HOME to a directory of your own)`,
      );
      expect(await readdir(join(cache, 'nova-doctor'))).toEqual([]);
    },
    60_000,
  );
});
