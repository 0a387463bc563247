// The TUI's "repair all" goes through the CLI's paged flow (src/doctor/flow.ts repairPages), on a real MariaDB:
// the DoctorSession the TUI holds repairs every instance the list has a plan for, page by page (each page's rows
// read back for the list before the next page is applied), keeps each outcome without its plan, repairs what
// `repair --all` would, and its journal undoes every byte.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctorConfigFrom } from '../../src/cli/options.js';
import { type LoadedCloud, startCloudServer } from '../../src/db/loadCloud.js';
import type { PrivateMariadb } from '../../src/db/privateMariadb.js';
import { DoctorSession } from '../../src/doctor/session.js';
import type { DoctorEvent, InstanceRow } from '../../src/doctor/types.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'nova-doctor.js');

let server: PrivateMariadb;
let cloud: LoadedCloud;
let conf: string;
let dir: string;

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, CI: '1' } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
    );
  });
}

/** Every row repair may touch, in every database: equal hashes, equal bytes. */
async function rowsHash(): Promise<string> {
  const conn = await server.connect();
  try {
    const parts: unknown[] = [];
    const cells = [cloud.databases.cell1, cloud.databases.cell2];
    const tables: [string, string][] = [[cloud.databases.api, 'request_specs']];
    for (const db of cells)
      for (const t of ['instances', 'instance_system_metadata', 'block_device_mapping']) tables.push([db, t]);
    for (const [db, table] of tables) {
      const [r] = await conn.query<RowDataPacket[]>(`SELECT * FROM \`${db}\`.\`${table}\` ORDER BY id`);
      parts.push(r);
    }
    return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  } finally {
    await conn.end();
  }
}

describe("the TUI's repair of the whole list", () => {
  beforeAll(async () => {
    ({ server, cloud } = await startCloudServer());
    dir = mkdtempSync(join(tmpdir(), 'nd-tui-repair-'));
    conf = join(dir, 'nova.conf');
    writeFileSync(conf, cloud.novaConf, { mode: 0o600 });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('applies page by page what repair --all plans, keeps no plan, and undoes every byte', async () => {
    // What the CLI's dry run would change: the instances the TUI must repair.
    const dry = await run(['repair', '--all', '--json', '--config', conf]);
    const planned = (JSON.parse(dry.stdout).instances as { uuid: string; status: string }[])
      .filter((i) => i.status === 'dry-run')
      .map((i) => i.uuid)
      .sort();
    expect(planned.length).toBeGreaterThanOrEqual(10);
    const before = await rowsHash();

    const config = { ...doctorConfigFrom([], { config: [conf], all: true }), journalDir: dir };
    const PAGE = 3;
    const session = new DoctorSession(config, { repairPageSize: PAGE });
    const events: DoctorEvent[] = [];
    session.subscribe((e) => events.push(e));
    try {
      const rows = await session.start();
      // `*` then `a`: every listed instance with a planned repair.
      const chosen = rows.filter((r) => r.planSummary?.status === 'planned').map((r) => r.uuid);
      expect([...chosen].sort()).toEqual(planned);
      events.length = 0;

      const outcome = await session.repair(chosen, { apply: true });
      expect(outcome.results.map((r) => r.uuid).sort()).toEqual(planned);
      for (const r of outcome.results) {
        expect(r, r.uuid).toMatchObject({ status: 'repaired', verified: true });
        expect(r).not.toHaveProperty('plan'); // 7 KB of spec text an instance, let go
      }
      expect(outcome.journalPath).toMatch(new RegExp(`^${dir}/repair-.*\\.jsonl$`));
      expect(outcome.undoCommand).toContain(outcome.journalPath);

      // Paged: the first page's rows are read back and listed before the last instance is applied.
      const progress = events.flatMap((e, i) =>
        e.type === 'apply-progress' ? [{ i, done: e.done, total: e.total }] : [],
      );
      expect(progress.map((p) => p.done)).toEqual(planned.map((_, k) => k + 1));
      expect(new Set(progress.map((p) => p.total))).toEqual(new Set([planned.length]));
      const firstListed = events.findIndex((e) => e.type === 'instance');
      expect(firstListed).toBeGreaterThan(progress[PAGE - 1]!.i);
      expect(firstListed).toBeLessThan(progress.at(-1)!.i);
      // Every repaired instance listed as the database now holds it, with its outcome.
      const listed = new Map<string, InstanceRow>();
      for (const e of events) if (e.type === 'instance') listed.set(e.view.uuid, e.view);
      expect([...listed.keys()].sort()).toEqual(planned);
      for (const row of listed.values()) {
        expect(row.status, row.uuid).toBe('repaired');
        expect(row.lastResult).not.toHaveProperty('plan');
      }

      // The CLI agrees that nothing is left to repair.
      const again = await run(['repair', '--all', '--json', '--config', conf]);
      expect(
        (JSON.parse(again.stdout).instances as { status: string }[]).filter((i) => i.status === 'dry-run'),
      ).toEqual([]);
      expect(await rowsHash()).not.toBe(before);

      const undone = await session.undo(outcome.journalPath!, { apply: true });
      expect(undone.map((r) => r.uuid).sort()).toEqual(planned);
      expect(undone.every((r) => r.status === 'restored')).toBe(true);
      expect(await rowsHash()).toBe(before);
    } finally {
      await session.close();
    }
  }, 180_000);
});
