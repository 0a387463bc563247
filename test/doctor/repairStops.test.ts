// A repair that stops on an error after some pages were written (here: a later read of the named instances fails,
// as when the server goes away between pages) still says where its journal is and how to go on, as a connection
// lost mid-apply does. Real MariaDB, nova's fixture cloud, the doctor's paged flow (src/doctor/flow.ts repairPages).
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedCloud, startCloudServer } from '../../src/db/loadCloud.js';
import type { PrivateMariadb } from '../../src/db/privateMariadb.js';
import { type NovaDatabases, openNova } from '../../src/db/trace.js';
import type { DbOptions } from '../../src/db/types.js';
import { repairPages } from '../../src/doctor/flow.js';
import { DoctorError, ExitCode } from '../../src/errors.js';

let server: PrivateMariadb;
let cloud: LoadedCloud;
let dir: string;

beforeAll(async () => {
  ({ server, cloud } = await startCloudServer());
  dir = mkdtempSync(join(tmpdir(), 'nd-repair-stops-'));
}, 120_000);
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('repairPages stopped by an error after a page was written', () => {
  it('names its journal and the resume command with the database options of the run', async () => {
    const conf = join(dir, 'nova.conf');
    writeFileSync(conf, cloud.novaConf, { mode: 0o600 });
    const db: DbOptions = { configFiles: [conf], configDirs: [], apiDbUrl: null, cellDbUrls: [] };
    const nova: NovaDatabases = await openNova(db);
    const admin = await server.connect(cloud.databases.api);
    const journal = join(dir, 'stops.jsonl');
    try {
      // Instances a repair writes, found by a dry run of the same flow.
      const cells = nova
        .cells()
        .filter((c) => c.reachable && !c.isCell0 && !c.disabled)
        .map((c) => c.uuid);
      const run = { journalPath: null, planOptions: {}, cellUuids: cells, confirmed: null, total: null, pageSize: 1 };
      const planned: string[] = [];
      await repairPages(nova, { uuids: [], scan: null, all: true }, { ...run, apply: false }, (r) => {
        if (r.status === 'dry-run') planned.push(r.uuid);
      });
      expect(planned.length).toBeGreaterThanOrEqual(2);
      // Named instances are read 500 at a time: the second read comes after the first ones are written.
      const uuids = [planned[0]!, ...Array.from({ length: 499 }, () => randomUUID()), planned[1]!];
      let renamed = false;
      const stopped = repairPages(
        nova,
        { uuids, scan: null, all: false },
        { ...run, apply: true, journalPath: journal, db },
        async (r) => {
          if (r.status === 'repaired' && !renamed) {
            renamed = true;
            await admin.query('RENAME TABLE request_specs TO request_specs_gone');
          }
        },
      );
      const err = await stopped.then(
        () => null,
        (e: unknown) => e,
      );
      expect(renamed).toBe(true);
      expect(err).toBeInstanceOf(DoctorError);
      const e = err as DoctorError;
      expect(e.exitCode).toBe(ExitCode.incomplete);
      expect(e.options.journal).toBe(journal);
      expect(e.message).toMatch(/request_specs/); // the cause, said first
      expect(e.message).toContain(`the journal ${journal} says what was committed`);
      expect(e.message).toContain(`'nova-doctor repair --resume --config ${conf} --journal ${journal} --apply'`);
      expect(existsSync(journal)).toBe(true);
    } finally {
      await admin.query('RENAME TABLE request_specs_gone TO request_specs').catch(() => undefined);
      await admin.end();
      await nova.close();
    }
  });
});
