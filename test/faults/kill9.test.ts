// kill -9 at every kind of step boundary of a 100-instance repair, through the real binary: the process
// SIGKILLs itself at the Nth step (NOVA_DOCTOR_FAULT_STEP=N: before an SQL statement or COMMIT, around a
// journal record). After each kill every instance must be wholly old or wholly new in each database, as the
// journal allows; `repair --resume` (or `--resume --rollback`) must leave each wholly old or wholly new; and
// `undo` must then restore every row byte for byte.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedCloud, startCloudServer } from '../../src/db/loadCloud.js';
import type { PrivateMariadb } from '../../src/db/privateMariadb.js';
import { changeSets, type JournalState, readJournal } from '../../src/repair/journal.js';
import { changedUuids, growCloud, type InstanceRows, instanceRows, runBin, workDir } from './support.js';

const PASSWORD = 'k1ll-n1ne;pw';
const TARGET = 100;

let server: PrivateMariadb;
let cloud: LoadedCloud;
let dir: string;
let conf: string;
let repairable: string[];
let original: Map<string, InstanceRows>;
let repaired: Map<string, InstanceRows>;
let totalSteps = 0;

beforeAll(async () => {
  ({ server, cloud } = await startCloudServer({ user: { name: 'nova', password: PASSWORD } }));
  ({ dir, conf } = workDir(cloud));
  repairable = await growCloud(server, cloud, TARGET);
  original = await instanceRows(server, cloud);
});
afterAll(async () => {
  await server?.stop();
});

let jn = 0;
const journal = () => join(dir, `j${++jn}.jsonl`);
const repair = (j: string, env: Record<string, string> = {}) =>
  runBin(['repair', '--config', conf, '--all', '--apply', '--yes', '--journal', j, '--json'], env);

type Part = 'old' | 'new';
/** What each database may hold for an instance, given the last journal state of its repair. */
const ALLOWED: Record<JournalState | 'none', { api: Part[]; cell: Part[] }> = {
  none: { api: ['old'], cell: ['old'] },
  intent: { api: ['old', 'new'], cell: ['old'] }, // the api COMMIT may have landed before its record
  'api-committed': { api: ['new'], cell: ['old', 'new'] },
  'cell-committed': { api: ['new'], cell: ['new'] },
  done: { api: ['new'], cell: ['new'] },
  'rolled-back': { api: ['old'], cell: ['old'] },
};

/**
 * What a database holds for the instance: 'old', 'new', or 'same' when the repair had nothing to change there (an
 * instance without a request spec leaves nova_api alone), which reads as either.
 */
function part(uuid: string, db: 'api' | 'cell', now: InstanceRows): Part | 'same' | 'mixed' {
  const o = original.get(uuid)![db];
  const n = repaired.get(uuid)![db];
  if (o === n && now[db] === o) return 'same';
  if (now[db] === o) return 'old';
  if (now[db] === n) return 'new';
  return 'mixed';
}
const is = (p: Part | 'same' | 'mixed', want: Part) => p === want || p === 'same';

async function journalStates(path: string): Promise<Map<string, JournalState> | null> {
  let records: Awaited<ReturnType<typeof readJournal>>;
  try {
    records = await readJournal(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const out = new Map<string, JournalState>();
  for (const s of changeSets(records)) if (s.intent.kind === 'repair') out.set(s.intent.uuid, s.state);
  return out;
}

describe('kill -9 during a 100-instance repair', () => {
  it('the grown cloud needs 100 repairs; a clean run repairs them all and undo restores every byte', async () => {
    expect(repairable.length).toBeGreaterThanOrEqual(TARGET);
    const j = journal();
    const r = await repair(j, { NOVA_DOCTOR_FAULT_STEP: '100000000' });
    expect(r.signal).toBeNull();
    totalSteps = Number(/fault steps seen: (\d+)/.exec(r.stderr)?.[1] ?? 0);
    expect(totalSteps).toBeGreaterThan(repairable.length * 5);
    repaired = await instanceRows(server, cloud);
    expect(changedUuids(original, repaired).sort()).toEqual([...repairable].sort());
    const states = await journalStates(j);
    expect([...states!.values()].every((s) => s === 'done')).toBe(true);
    const u = await runBin(['undo', '--config', conf, '--journal', j, '--apply', '--yes', '--json']);
    expect(u.code).toBe(0);
    expect(changedUuids(original, await instanceRows(server, cloud))).toEqual([]);
  });

  it('survives a kill at a sweep of step boundaries', async () => {
    expect(totalSteps).toBeGreaterThan(0);
    // The first boundaries (concurrent workers' opening statements), then points spread over the whole run.
    const points = new Set<number>();
    for (let k = 1; k <= 12; k++) points.add(k);
    const spread = Number(process.env.NOVA_DOCTOR_FAULT_SWEEP ?? 48);
    for (let i = 1; i <= spread; i++) points.add(Math.max(1, Math.round((i * totalSteps) / (spread + 1))));
    const anomalies: string[] = [];
    let tried = 0;
    let rolledBack = 0;
    let resumed = 0;
    for (const k of [...points].sort((a, b) => a - b)) {
      const j = journal();
      const r = await repair(j, { NOVA_DOCTOR_FAULT_STEP: String(k) });
      tried++;
      if (r.signal !== 'SIGKILL') {
        anomalies.push(`step ${k}: not killed (exit ${r.code}, ${r.stderr.trim().slice(0, 200)})`);
        continue;
      }
      // 1. Right after the kill: each instance wholly old or wholly new per database, as the journal allows.
      const states = (await journalStates(j)) ?? new Map<string, JournalState>();
      let now = await instanceRows(server, cloud);
      for (const uuid of repairable) {
        const state = states.get(uuid) ?? 'none';
        const api = part(uuid, 'api', now.get(uuid)!);
        const cell = part(uuid, 'cell', now.get(uuid)!);
        const allowed = ALLOWED[state];
        if (!allowed.api.some((w) => is(api, w)) || !allowed.cell.some((w) => is(cell, w))) {
          anomalies.push(`step ${k}: ${uuid} journal ${state} but api ${api}, cell ${cell}`);
        }
      }
      // 2. Resume (every third point: roll back instead): nothing left half done, the journal closed.
      if (states.size > 0) {
        const rollback = k % 3 === 0;
        const res = await runBin([
          'repair',
          '--config',
          conf,
          '--resume',
          '--journal',
          j,
          ...(rollback ? ['--rollback'] : []),
          '--apply',
          '--yes',
          '--json',
        ]);
        if (res.code !== 0 || res.signal) anomalies.push(`step ${k}: resume exit ${res.code}: ${res.stderr.trim()}`);
        if (rollback) rolledBack++;
        else resumed++;
        now = await instanceRows(server, cloud);
        const after = (await journalStates(j))!;
        for (const uuid of repairable) {
          const api = part(uuid, 'api', now.get(uuid)!);
          const cell = part(uuid, 'cell', now.get(uuid)!);
          const whole = (is(api, 'old') && is(cell, 'old')) || (is(api, 'new') && is(cell, 'new'));
          const state = after.get(uuid) ?? 'none';
          const closed = state === 'none' || state === 'done' || state === 'rolled-back';
          const agrees =
            state === 'done'
              ? is(api, 'new') && is(cell, 'new')
              : state === 'none' || state === 'rolled-back'
                ? whole
                : false;
          // An instance the journal never mentions, or rolled back, must be wholly old.
          const mustBeOld = state !== 'done';
          if (!whole || !closed || !agrees || (mustBeOld && !(is(api, 'old') && is(cell, 'old')))) {
            anomalies.push(`step ${k}: after resume ${uuid} journal ${state}, api ${api}, cell ${cell}`);
          }
        }
      }
      // 3. Undo what the journal committed: every row byte-identical to before the run.
      if (states.size > 0) {
        const u = await runBin(['undo', '--config', conf, '--journal', j, '--apply', '--yes', '--json']);
        if (u.code !== 0) anomalies.push(`step ${k}: undo exit ${u.code}: ${u.stderr.trim()}`);
      }
      const left = changedUuids(original, await instanceRows(server, cloud));
      if (left.length > 0) {
        anomalies.push(`step ${k}: ${left.length} instance(s) not byte-identical after undo`);
        break; // the next point would start from a wrong state
      }
    }
    const failedPoints = new Set(anomalies.map((a) => a.split(':')[0])).size;
    const line = `| kill -9 at SQL/journal step boundaries (${repairable.length}-instance repair, real binary) | ${tried} | ${tried - failedPoints} | 0 |`;
    console.log(
      `kill -9 sweep: ${tried} kill points of ${totalSteps} steps (resume ${resumed}, resume --rollback ${rolledBack}), anomalies ${anomalies.length}\n${line}`,
    );
    expect(anomalies).toEqual([]);
  });
});
