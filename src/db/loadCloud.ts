// Load the fixture cloud (test/fixtures/nova/cloud: dumps of nova_api and three cell databases written by nova's
// own code) into databases of our choosing on a server, with a nova user, and point cell_mappings at them.
// Used by the database tests and by the demo command.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { RowDataPacket } from 'mysql2';
import type { Connection } from 'mysql2/promise';
import { type PrivateMariadb, type PrivateMariadbOptions, startPrivateMariadb } from './privateMariadb.js';

/** Where the fixture dumps live, from src/db or dist/db alike. */
export const DEFAULT_CLOUD_DIR = fileURLToPath(new URL('../../test/fixtures/nova/cloud/', import.meta.url));

/** The databases in the fixture, by the name they have in the dumps' cell_mappings. */
export const FIXTURE_DATABASES = {
  api: 'nova_api',
  cell0: 'nova_cell0',
  cell1: 'nova_cell1',
  cell2: 'nova_cell2',
} as const;
export type FixtureDb = keyof typeof FIXTURE_DATABASES;
/** Mapped in the fixture but never dumped: the retired cell's database is gone. */
export const RETIRED_FIXTURE_DATABASE = 'nova_cell3';

/** What loadCloud needs of a server: URLs that reach it and a root connection (to load). */
export interface CloudServer {
  url(database: string, credentials: { user: string; password: string }): string;
  connect(database?: string): Promise<Connection>;
}

export interface LoadCloudOptions {
  /** Directory with api.sql, cell0.sql, cell1.sql, cell2.sql, manifest.json (default: the repo's fixture). */
  cloudDir?: string;
  /** Put before every database name (e.g. `t1_` → `t1_nova_api`), so several clouds share one server. */
  prefix?: string;
  /** The account nova's URLs use; created with all privileges on the loaded databases. */
  user?: { name: string; password: string };
  /**
   * 'template' keeps cell_mappings as nova-manage writes them (`{scheme}://{username}:{password}@{hostname}:{port}/db?{query}`,
   * filled from [database] connection); 'concrete' writes full URLs.
   */
  urlStyle?: 'template' | 'concrete';
}

export interface LoadedCloud {
  databases: Record<FixtureDb, string>;
  /** SQLAlchemy URL (with password) of the API database. */
  apiUrl: string;
  /** `[database] connection`: cell1's database, as on the fixture's controller. */
  databaseUrl: string;
  /** SQLAlchemy URL (with password) of every loaded cell database. */
  cellUrls: Record<Exclude<FixtureDb, 'api'>, string>;
  /** A nova.conf for these databases (passwords escaped for oslo.config). */
  novaConf: string;
  /** manifest.json of the fixture, parsed. */
  manifest: unknown;
}

const DEFAULT_USER = { name: 'nova', password: 'nova-fixture-pw' };

function quoteIdent(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

function names(prefix: string): Record<FixtureDb, string> {
  return Object.fromEntries(Object.entries(FIXTURE_DATABASES).map(([k, v]) => [k, `${prefix}${v}`])) as Record<
    FixtureDb,
    string
  >;
}

/** Load the dumps, create the user and point cell_mappings at the loaded databases. Drops them first if present. */
export async function loadCloud(server: CloudServer, opts: LoadCloudOptions = {}): Promise<LoadedCloud> {
  const dir = opts.cloudDir ?? DEFAULT_CLOUD_DIR;
  const prefix = opts.prefix ?? '';
  const user = opts.user ?? DEFAULT_USER;
  const databases = names(prefix);
  const root = await server.connect();
  try {
    for (const [key, db] of Object.entries(databases) as [FixtureDb, string][]) {
      const sql = await readFile(`${dir}/${key}.sql`, 'utf8');
      await root.query(`DROP DATABASE IF EXISTS ${quoteIdent(db)}`);
      await root.query(`CREATE DATABASE ${quoteIdent(db)} CHARACTER SET utf8mb3`);
      await root.changeUser({ database: db });
      await root.query(sql); // the server's connect() allows multiple statements
    }
    await root.query('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', [user.name, '%', user.password]);
    await root.query('ALTER USER ?@? IDENTIFIED BY ?', [user.name, '%', user.password]);
    for (const db of [...Object.values(databases), `${prefix}${RETIRED_FIXTURE_DATABASE}`]) {
      await root.query(`GRANT ALL PRIVILEGES ON ${quoteIdent(db)}.* TO ?@?`, [user.name, '%']);
    }
  } finally {
    await root.end();
  }
  return pointCellMappings(server, opts);
}

/**
 * Rewrite nova_api.cell_mappings of a loaded cloud so every cell points at its database on `server`, and describe
 * the result. Cheap: run it again when the same data is served on another port.
 */
export async function pointCellMappings(server: CloudServer, opts: LoadCloudOptions = {}): Promise<LoadedCloud> {
  const dir = opts.cloudDir ?? DEFAULT_CLOUD_DIR;
  const prefix = opts.prefix ?? '';
  const user = opts.user ?? DEFAULT_USER;
  const style = opts.urlStyle ?? 'template';
  const databases = names(prefix);
  const url = (db: string) => server.url(db, { user: user.name, password: user.password });
  const root = await server.connect(databases.api);
  try {
    const [rows] = await root.query<RowDataPacket[]>('SELECT id, uuid, database_connection FROM cell_mappings');
    const fixtureNames = new Set<string>([...Object.values(FIXTURE_DATABASES), RETIRED_FIXTURE_DATABASE]);
    for (const r of rows) {
      const current = String(r.database_connection);
      // The database name as the dump has it, whatever prefix an earlier run put in front.
      const db = /\/([^/?]+)(?:\?|$)/.exec(current.slice(current.lastIndexOf('@') + 1))?.[1] ?? '';
      const base = [...fixtureNames].find((n) => db.endsWith(n)) ?? db;
      const target = `${prefix}${base}`;
      const rewritten = style === 'template' ? TEMPLATE(target) : url(target);
      await root.query('UPDATE cell_mappings SET database_connection = ? WHERE id = ?', [rewritten, r.id]);
    }
  } finally {
    await root.end();
  }
  const oslo = (v: string) => v.replaceAll('$', () => '$$'); // oslo.config reads '$$' as '$'
  const novaConf = [
    '# Written by nova-doctor for a private test server.',
    '[api_database]',
    `connection = ${oslo(url(databases.api))}`,
    '',
    '[database]',
    `connection = ${oslo(url(databases.cell1))}`,
    '',
  ].join('\n');
  const manifest = JSON.parse(await readFile(`${dir}/manifest.json`, 'utf8')) as unknown;
  return {
    databases,
    apiUrl: url(databases.api),
    databaseUrl: url(databases.cell1),
    cellUrls: { cell0: url(databases.cell0), cell1: url(databases.cell1), cell2: url(databases.cell2) },
    novaConf,
    manifest,
  };
}

/** What `nova-manage cell_v2 create_cell` stores when given a template (as the fixture's dumps have). */
const TEMPLATE = (db: string) => `{scheme}://{username}:{password}@{hostname}:{port}/${db}?{query}`;

/** A cache key for the loaded cloud: changes when the dumps or the options do. */
export async function cloudKey(opts: LoadCloudOptions = {}): Promise<string> {
  const dir = opts.cloudDir ?? DEFAULT_CLOUD_DIR;
  const h = createHash('sha256');
  for (const f of ['api', 'cell0', 'cell1', 'cell2']) h.update(await readFile(`${dir}/${f}.sql`));
  h.update(JSON.stringify([opts.prefix ?? '', opts.user ?? DEFAULT_USER]));
  return `cloud-${h.digest('hex').slice(0, 16)}`;
}

/**
 * A private server with the fixture cloud loaded. The loaded datadir is cached (per dump contents), so after the
 * first time this costs a copy and a start, not a load.
 */
export async function startCloudServer(
  opts: LoadCloudOptions & PrivateMariadbOptions = {},
): Promise<{ server: PrivateMariadb; cloud: LoadedCloud }> {
  const key = await cloudKey(opts);
  const server = await startPrivateMariadb({
    ...opts,
    seed: { key, build: async (s) => void (await loadCloud(s, { ...opts, urlStyle: 'template' })) },
  });
  try {
    return { server, cloud: await pointCellMappings(server, opts) };
  } catch (e) {
    await server.stop();
    throw e;
  }
}
