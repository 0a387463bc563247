// What an operator sees when the database side is wrong: one line naming the database (password masked) and
// what to try. Against a private MariaDB with the fixture cloud loaded.
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbError } from '../../src/db/errors.js';
import { type LoadedCloud, startCloudServer } from '../../src/db/loadCloud.js';
import type { PrivateMariadb } from '../../src/db/privateMariadb.js';
import { openNova } from '../../src/db/trace.js';
import type { DbOptions } from '../../src/db/types.js';
import { diagnose } from '../../src/nova/staleness.js';

let server: PrivateMariadb;
let cloud: LoadedCloud;

const READER = { name: 'reader', password: 'p;a#s$w/o\'r"d x' };
// In a URL: '#' and '/' must be encoded for nova's template filling (urllib); the rest may stay as it is.
const READER_URL_PW = 'p;a%23s$w%2Fo\'r"d x';

beforeAll(async () => {
  ({ server, cloud } = await startCloudServer());
  const root = await server.connect();
  await root.query('CREATE USER ?@? IDENTIFIED BY ?', [READER.name, '%', READER.password]);
  for (const db of Object.values(cloud.databases))
    await root.query(`GRANT SELECT ON \`${db}\`.* TO ?@?`, [READER.name, '%']);
  await root.query('CREATE DATABASE notnova');
  await root.query('CREATE TABLE notnova.t (id INT)');
  await root.query('CREATE DATABASE halfnova');
  await root.query(
    'CREATE TABLE halfnova.cell_mappings (id INT, uuid VARCHAR(36), name VARCHAR(255), database_connection TEXT)',
  );
  await root.query('CREATE DATABASE oddnova');
  await root.query(
    'CREATE TABLE oddnova.cell_mappings (id INT, uuid VARCHAR(36), name VARCHAR(255), database_connection TEXT)',
  );
  await root.query('CREATE TABLE oddnova.instance_mappings (id INT, instance_uuid VARCHAR(36), cell_id INT)');
  await root.query('CREATE TABLE oddnova.request_specs (id INT, instance_uuid VARCHAR(36), specification TEXT)');
  await root.query('CREATE TABLE oddnova.alembic_version (version_num VARCHAR(32))');
  await root.query("INSERT INTO oddnova.alembic_version VALUES ('f00dfeedbeef')");
  for (const db of ['notnova', 'halfnova', 'oddnova']) await root.query(`GRANT SELECT ON ${db}.* TO 'nova'@'%'`);
  await root.end();
});
afterAll(async () => {
  await server?.stop();
});

const urlOpts = (apiDbUrl: string, cellDbUrls: string[] = []): DbOptions => ({
  configFiles: [],
  configDirs: [],
  apiDbUrl,
  cellDbUrls,
});

async function failure(p: Promise<unknown>): Promise<DbError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DbError);
    const err = e as DbError;
    expect(err.message).not.toContain('\n');
    expect(err.message).not.toContain('nova-fixture-pw');
    return err;
  }
  throw new Error('expected a DbError');
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('the API database', () => {
  it('wrong password', async () => {
    const url = cloud.apiUrl.replace('nova-fixture-pw', 'hunter2-wrong');
    const err = await failure(openNova(urlOpts(url)));
    expect(err.kind).toBe('auth');
    expect(err.message).not.toContain('hunter2');
    expect(err.message).toBe(
      `nova_api database mysql+pymysql://nova:***@localhost:3306/nova_api?charset=utf8&unix_socket=${server.socketPath}: access denied for user 'nova' (wrong user or password?); check --api-db`,
    );
  });

  it('nothing listening', async () => {
    const port = await freePort();
    const err = await failure(openNova(urlOpts(`mysql+pymysql://nova:secret@127.0.0.1:${port}/nova_api`)));
    expect(err.kind).toBe('unreachable');
    expect(err.message).toContain(`connection refused at 127.0.0.1:${port}`);
  });

  it('a host that never answers gives up within the timeout', async () => {
    // TEST-NET-1 (RFC 5737) is never routed: either no route or a timeout, never a hang.
    const t0 = Date.now();
    const err = await failure(
      openNova(urlOpts('mysql+pymysql://nova:secret@192.0.2.1:3306/nova_api'), { connectTimeoutMs: 1000 }),
    );
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(err.kind).toBe('unreachable');
  });

  it('a socket that does not exist', async () => {
    const err = await failure(
      openNova(urlOpts('mysql+pymysql://nova:secret@localhost/nova_api?unix_socket=/nonexistent/mysqld.sock')),
    );
    expect(err.kind).toBe('unreachable');
    expect(err.message).toContain('socket /nonexistent/mysqld.sock does not exist');
  });

  it('a database that does not exist, or that the user may not use', async () => {
    const missing = await failure(openNova(urlOpts(server.url('nova_apx'))));
    expect(missing.kind).toBe('no-database');
    expect(missing.message).toContain(`database 'nova_apx' does not exist on ${server.socketPath}; check --api-db`);
    // MariaDB tells a user without rights "access denied" for any database it cannot see
    const denied = await failure(openNova(urlOpts(cloud.apiUrl.replace('/nova_api?', '/nova_apx?'))));
    expect(denied.kind).toBe('permission');
    expect(denied.message).toContain("user 'nova' may not use database 'nova_apx'");
  });

  it('not a nova database', async () => {
    const err = await failure(openNova(urlOpts(cloud.apiUrl.replace('/nova_api?', '/notnova?'))));
    expect(err.kind).toBe('not-nova');
    expect(err.message).toContain('not a nova API database: no nova API tables here');
  });

  it('a cell database given as the API database', async () => {
    const err = await failure(openNova(urlOpts(cloud.cellUrls.cell1)));
    expect(err.kind).toBe('not-nova');
    expect(err.message).toContain('this looks like a cell database');
  });

  it('missing tables', async () => {
    const err = await failure(openNova(urlOpts(cloud.apiUrl.replace('/nova_api?', '/halfnova?'))));
    expect(err.kind).toBe('not-nova');
    expect(err.message).toMatch(/tables instance_mappings, request_specs missing \(no schema version table\)/);
  });

  it('unknown schema', async () => {
    const err = await failure(openNova(urlOpts(cloud.apiUrl.replace('/nova_api?', '/oddnova?'))));
    expect(err.kind).toBe('schema');
    expect(err.message).toContain(
      'unknown nova schema (schema version f00dfeedbeef): column request_specs.spec missing',
    );
  });

  it('a URL that is not MySQL', async () => {
    const err = await failure(openNova(urlOpts('postgresql://nova:secret@db/nova_api')));
    expect(err.kind).toBe('url');
    expect(err.message).not.toContain('secret');
  });

  it('a config without [api_database] connection', async () => {
    const conf = join(server.baseDir, 'empty.conf');
    await writeFile(conf, '[DEFAULT]\ndebug = True\n');
    const err = await failure(openNova({ configFiles: [conf], configDirs: [], apiDbUrl: null, cellDbUrls: [] }));
    expect(err.kind).toBe('config');
    expect(err.message).toContain(`[api_database] connection is not set in ${conf}`);
  });
});

describe('cells that cannot be used', () => {
  it('an unreachable cell is reported and the others go on', async () => {
    const port = await freePort();
    const root = await server.connect(cloud.databases.api);
    await root.query(
      "INSERT INTO cell_mappings (created_at, uuid, name, transport_url, database_connection, disabled) VALUES (NOW(), 'aaaaaaaa-0000-4000-8000-000000000001', 'cell9-down', 'none:///', ?, 0)",
      [`mysql+pymysql://nova:topsecret@127.0.0.1:${port}/nova_cell9`],
    );
    await root.end();
    try {
      const conf = join(server.baseDir, 'unreach.conf');
      await writeFile(conf, cloud.novaConf);
      const nova = await openNova({ configFiles: [conf], configDirs: [], apiDbUrl: null, cellDbUrls: [] });
      try {
        const down = nova.cells().find((c) => c.name === 'cell9-down');
        expect(down?.reachable).toBe(false);
        expect(down?.error).toBe(
          `cell database cell9-down (aaaaaaaa-0000-4000-8000-000000000001) mysql+pymysql://nova:***@127.0.0.1:${port}/nova_cell9: connection refused at 127.0.0.1:${port} (is MariaDB running and listening there?)`,
        );
        expect(
          nova
            .cells()
            .filter((c) => c.reachable)
            .map((c) => c.name),
        ).toEqual(['cell0', 'cell1', 'cell2']);
        let n = 0;
        for await (const _ of nova.sweep()) n++;
        expect(n).toBeGreaterThan(20);
      } finally {
        await nova.close();
      }
    } finally {
      const r = await server.connect(cloud.databases.api);
      await r.query("DELETE FROM cell_mappings WHERE name = 'cell9-down'");
      await r.end();
    }
  });

  it('--api-db alone cannot fill templated cell URLs: each cell says so, and --cell-db fixes it', async () => {
    const nova = await openNova(urlOpts(cloud.apiUrl));
    try {
      for (const c of nova.cells()) {
        expect(c.reachable).toBe(false);
        expect(c.error).toContain('the cell URL is a template, but [database] connection is not set');
      }
      const [snap] = await nova.snapshots([
        (cloud.manifest as { instances: { uuid: string }[] }).instances[0]?.uuid ?? '',
      ]);
      // The spec lives in nova_api, so it is still diagnosed; the cell's rows are missing and said to be.
      expect(snap?.problems.join('\n')).toContain('is unreachable');
      expect(diagnose(snap!).health).toBe('stale');
    } finally {
      await nova.close();
    }
    const fixed = await openNova(urlOpts(cloud.apiUrl, [cloud.cellUrls.cell1, `cell2=${cloud.cellUrls.cell2}`]));
    try {
      const reach = Object.fromEntries(fixed.cells().map((c) => [c.name, c.reachable]));
      expect(reach).toEqual({ cell0: false, cell1: true, cell2: true, 'cell3-retired': false });
      expect(fixed.warnings).toEqual([]);
    } finally {
      await fixed.close();
    }
  });
});

describe('a SELECT-only user', () => {
  it('is enough to trace and sweep, reading nova.conf with $$ and a password full of ; # / quotes and spaces', async () => {
    const url = (db: string) =>
      `mysql+pymysql://reader:${READER_URL_PW}@localhost:3306/${db}?charset=utf8&unix_socket=${server.socketPath}`;
    const conf = join(server.baseDir, 'reader.conf');
    await writeFile(
      conf,
      [
        '[api_database]',
        `connection = ${url(cloud.databases.api).replaceAll('$', () => '$$')}`,
        '[database]',
        `connection = ${url(cloud.databases.cell1).replaceAll('$', () => '$$')}`,
        '',
      ].join('\n'),
    );
    const nova = await openNova({ configFiles: [conf], configDirs: [], apiDbUrl: null, cellDbUrls: [] });
    try {
      expect(nova.api.maskedUrl).toBe(
        `mysql+pymysql://reader:***@localhost:3306/nova_api?charset=utf8&unix_socket=${server.socketPath}`,
      );
      expect(nova.api.source).toBe(`[api_database] connection in ${conf}:2`);
      expect(
        nova
          .cells()
          .filter((c) => c.reachable)
          .map((c) => c.name),
      ).toEqual(['cell0', 'cell1', 'cell2']);
      const stale: string[] = [];
      for await (const s of nova.sweep()) if (diagnose(s).health === 'stale') stale.push(s.uuid);
      expect(stale.length).toBeGreaterThan(10);
      // and it really is read-only
      await expect(nova.apiConnection().query('DELETE FROM request_specs')).rejects.toThrow(/DELETE command denied/);
    } finally {
      await nova.close();
    }
  });
});

describe('instances nova cannot find', () => {
  it('an instance without a mapping is found in its cell and said to be unmapped; an unknown uuid is reported', async () => {
    const manifest = cloud.manifest as { instances: { uuid: string; scenario: string }[] };
    const victim = manifest.instances.find((i) => i.scenario === 'kvm-healthy-arch');
    const root = await server.connect(cloud.databases.api);
    const [saved] = await root.query<import('mysql2').RowDataPacket[]>(
      'SELECT * FROM instance_mappings WHERE instance_uuid = ?',
      [victim?.uuid],
    );
    await root.query('DELETE FROM instance_mappings WHERE instance_uuid = ?', [victim?.uuid]);
    try {
      const conf = join(server.baseDir, 'unmapped.conf');
      await writeFile(conf, cloud.novaConf);
      const nova = await openNova({ configFiles: [conf], configDirs: [], apiDbUrl: null, cellDbUrls: [] });
      try {
        const unknown = '12345678-1234-4234-8234-123456789abc';
        const [snap, none] = await nova.snapshots([victim?.uuid ?? '', unknown]);
        expect(snap?.cell?.name).toBe('cell1');
        expect(snap?.instance?.uuid).toBe(victim?.uuid);
        expect(snap?.problems[0]).toMatch(
          /no row in nova_api.instance_mappings: nova cannot find this instance, although cell cell1 has it/,
        );
        expect(none?.cell).toBeNull();
        expect(none?.problems).toEqual([
          'no row in nova_api.instance_mappings and in no reachable cell: unknown to nova',
          'no row in nova_api.request_specs: resize and cold migration fail with RequestSpecNotFound',
        ]);
        expect(diagnose(none!).health).toBe('unreadable');
        // the sweep still yields it (its spec is there), found in cell1
        let swept = null;
        for await (const s of nova.sweep({ allSystemMetadata: true })) if (s.uuid === victim?.uuid) swept = s;
        expect(swept).toEqual(snap);
      } finally {
        await nova.close();
      }
    } finally {
      const row = saved[0];
      if (row) await root.query('INSERT INTO instance_mappings SET ?', [row]);
      await root.end();
    }
  });

  it('a spec that is not JSON is a problem for that instance only', async () => {
    const manifest = cloud.manifest as { instances: { uuid: string; scenario: string }[] };
    const hostile = manifest.instances.find((i) => i.scenario === 'hostile-spec-not-json');
    const conf = join(server.baseDir, 'hostile.conf');
    await writeFile(conf, cloud.novaConf);
    const nova = await openNova({ configFiles: [conf], configDirs: [], apiDbUrl: null, cellDbUrls: [] });
    try {
      const [snap] = await nova.snapshots([hostile?.uuid ?? '']);
      const d = diagnose(snap!);
      expect(d.health).toBe('unreadable');
      expect(d.problems.join('\n')).toMatch(/request_specs.spec is not JSON \(starts "HOSTILE FIXTURE/);
      expect(d.stale.every((s) => s.database === 'cell')).toBe(true);
    } finally {
      await nova.close();
    }
  });
});
