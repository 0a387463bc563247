// SIGINT / SIGTERM in the middle of `repair --apply` on 100 instances, through the real binary (issue 13, item 3):
// the instances in progress are finished, none is started after the signal, the run says what it did, where the
// journal is and the exact resume command, and exits 130; `repair --resume` then finds nothing half done, and
// undo restores every byte.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedCloud, startCloudServer } from '../../src/db/loadCloud.js';
import type { PrivateMariadb } from '../../src/db/privateMariadb.js';
import { changeSets, readJournal } from '../../src/repair/journal.js';
import {
  BIN,
  changedUuids,
  growCloud,
  type InstanceRows,
  instanceRows,
  ROOT,
  type Run,
  runBin,
  workDir,
} from './support.js';

const PASSWORD = 'ctrl-c;pw';
const TARGET = 100;

let server: PrivateMariadb;
let cloud: LoadedCloud;
let dir: string;
let conf: string;
let repairable: string[];
let original: Map<string, InstanceRows>;
let repaired: Map<string, InstanceRows>;

beforeAll(async () => {
  ({ server, cloud } = await startCloudServer({ user: { name: 'nova', password: PASSWORD } }));
  ({ dir, conf } = workDir(cloud, 'nd-interrupt-'));
  repairable = await growCloud(server, cloud, TARGET);
  original = await instanceRows(server, cloud);
});
afterAll(async () => {
  await server?.stop();
});

const intents = (path: string) =>
  existsSync(path) ? (readFileSync(path, 'utf8').match(/"type":"intent"/g) ?? []).length : 0;

/** Start a repair, send `signal` once `after` change sets are journaled, and collect what it says. */
function interruptedRepair(journal: string, signal: NodeJS.Signals, after: number): Promise<Run & { sentAt: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [BIN, 'repair', '--config', conf, '--all', '--apply', '--yes', '--journal', journal],
      { cwd: ROOT, env: { ...process.env, CI: '1', NO_COLOR: '1' } },
    );
    let stdout = '';
    let stderr = '';
    let sentAt = -1;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const poll = setInterval(() => {
      const n = intents(journal);
      if (n >= after && sentAt < 0) {
        sentAt = n;
        child.kill(signal);
      }
    }, 2);
    child.on('error', reject);
    child.on('close', (code, sig) => {
      clearInterval(poll);
      resolve({ code, signal: sig, stdout, stderr, sentAt });
    });
  });
}

/**
 * An instance's rows in one database: as they were, as the clean run left them, or neither. 'untouched' where the
 * repair changes nothing in that database (an instance nova maps without a request spec: its API rows stay as
 * they are), which is wholly old and wholly new at once. A sweep goes in uuid order, so such instances come
 * between the others, and an interrupted repair may have reached them.
 */
function part(uuid: string, db: 'api' | 'cell', now: Map<string, InstanceRows>): 'old' | 'new' | 'mixed' | 'untouched' {
  const v = now.get(uuid)![db];
  if (original.get(uuid)![db] === repaired.get(uuid)![db]) return v === original.get(uuid)![db] ? 'untouched' : 'mixed';
  if (v === original.get(uuid)![db]) return 'old';
  if (v === repaired.get(uuid)![db]) return 'new';
  return 'mixed';
}

describe('a signal during repair --apply', () => {
  it('a clean run first: every instance repaired, undo restores every byte (the reference for "new")', async () => {
    const j = join(dir, 'clean.jsonl');
    const r = await runBin(['repair', '--config', conf, '--all', '--apply', '--yes', '--journal', j, '--json']);
    expect(r.signal).toBeNull();
    repaired = await instanceRows(server, cloud);
    expect(changedUuids(original, repaired).sort()).toEqual([...repairable].sort());
    expect((await runBin(['undo', '--config', conf, '--journal', j, '--apply', '--yes'])).code).toBe(0);
    expect(changedUuids(original, await instanceRows(server, cloud))).toEqual([]);
  });

  // The signal goes out as the Nth intent record is synced: that instance is then between its intent and its COMMITs.
  const cases = [
    ['SIGINT', 1],
    ['SIGINT', 10],
    ['SIGINT', 60],
    ['SIGTERM', 25],
    ['SIGHUP', 40], // a closed ssh session
  ] as const;
  for (const [signal, after] of cases) {
    it(`${signal} after ${after} change set(s): finishes those in progress, reports, exits 130; resume finds nothing half done`, async () => {
      const j = join(dir, `${signal}-${after}.jsonl`);
      const r = await interruptedRepair(j, signal, after);
      expect(r.sentAt).toBeGreaterThanOrEqual(after);
      expect(r.signal).toBeNull(); // it exited by itself, not killed by the signal
      expect(r.code, r.stderr).toBe(130);
      expect(r.stdout).toMatch(/^Applied, \d+ instance\(s\): (.*, )?\d+ repaired/m);
      expect(r.stderr).toContain(`interrupted by ${signal}: the instance(s) in progress were finished`);
      expect(r.stderr).toContain(`journal: ${j}`);
      const resumeLine = r.stderr.split('\n').find((l) => l.includes('nova-doctor repair --resume'));
      expect(resumeLine).toContain(`nova-doctor repair --resume --config ${conf} --journal ${j} --apply`);
      expect(r.stderr).toContain(`nova-doctor undo --config ${conf} --journal ${j} --apply`);
      expect(r.stderr + r.stdout).not.toContain(PASSWORD);

      // Every instance wholly old or wholly new, and the journal agrees: every change set closed.
      const now = await instanceRows(server, cloud);
      const sets = changeSets(await readJournal(j));
      const states = new Map(sets.map((s) => [s.intent.uuid, s.state]));
      expect([...new Set(states.values())]).toEqual(['done']);
      let newCount = 0;
      for (const uuid of repairable) {
        const api = part(uuid, 'api', now);
        const cell = part(uuid, 'cell', now);
        // The instance's state: that of a database the repair changes (a repairable instance has one).
        const whole = api === 'untouched' ? cell : api;
        const seen = (p: typeof api) => (p === 'untouched' ? whole : p);
        expect(`${uuid} ${seen(api)}/${seen(cell)}`).toBe(`${uuid} ${whole}/${whole}`); // never half done
        expect(whole, uuid).not.toBe('mixed');
        expect(whole === 'new', uuid).toBe(states.has(uuid)); // new exactly when the journal has it
        if (whole === 'new') newCount++;
      }
      // Stopped early: at least what was journaled before the signal, far from all.
      expect(newCount).toBeGreaterThanOrEqual(r.sentAt);
      expect(newCount).toBeLessThan(repairable.length);
      const m = /(\d+) repaired, (\d+) not tried/.exec(r.stderr);
      expect(Number(m?.[1])).toBe(newCount);
      expect(Number(m?.[2])).toBe(repairable.length - newCount);

      // The printed resume command (plus --yes: no terminal here) finds nothing to do.
      const args = resumeLine!.replace(/^.*nova-doctor repair/, 'repair').split(' ');
      const res = await runBin([...args, '--yes', '--json']);
      expect(res.code, res.stderr).toBe(0);
      expect(JSON.parse(res.stdout).instances).toEqual([]);

      const u = await runBin(['undo', '--config', conf, '--journal', j, '--apply', '--yes', '--json']);
      expect(u.code, u.stderr).toBe(0);
      expect(changedUuids(original, await instanceRows(server, cloud))).toEqual([]);
      console.log(
        `${signal} after ${r.sentAt} journaled change sets: ${newCount} repaired, ${repairable.length - newCount} not tried`,
      );
    });
  }
});
