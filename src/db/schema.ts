// Is this really the nova database we were pointed at? Checked through information_schema, which a SELECT-only
// user can read, before anything else is queried, so a wrong URL gives one clear line instead of a SQL error.

import type { RowDataPacket } from 'mysql2';
import type { PoolConnection } from 'mysql2/promise';
import type { DbTarget } from './connect.js';
import { DbError } from './errors.js';

export type SchemaKind = 'api' | 'cell';

/** The instances columns every nova-doctor reads (readSnapshot.ts; compute_id, 2023.2+, where present). */
export const INSTANCE_COLUMNS = [
  'id',
  'uuid',
  'display_name',
  'vm_state',
  'task_state',
  'host',
  'node',
  'kernel_id',
  'ramdisk_id',
  'root_device_name',
  'vm_mode',
  'image_ref',
  'deleted',
] as const;

/** The tables and columns nova-doctor reads or writes, per database. */
const REQUIRED: Record<SchemaKind, Record<string, readonly string[]>> = {
  api: {
    cell_mappings: ['id', 'uuid', 'name', 'database_connection'],
    instance_mappings: ['id', 'instance_uuid', 'cell_id'],
    request_specs: ['id', 'instance_uuid', 'spec'],
  },
  cell: {
    instances: INSTANCE_COLUMNS,
    instance_system_metadata: ['id', 'instance_uuid', 'key', 'value', 'deleted'],
    block_device_mapping: ['id', 'instance_uuid', 'device_name', 'boot_index', 'deleted'],
    compute_nodes: ['id', 'host', 'hypervisor_hostname', 'supported_instances', 'hypervisor_version', 'deleted'],
    services: ['host', 'binary', 'disabled', 'deleted'],
  },
};

/** A table that tells the other kind of nova database apart, for the hint. */
const TELLTALE: Record<SchemaKind, string> = { api: 'cell_mappings', cell: 'instances' };

export interface SchemaInfo {
  /** alembic revision, or `migrate <n>` for sqlalchemy-migrate databases (before Yoga); null if neither. */
  version: string | null;
  /** Optional columns present (e.g. cell_mappings.disabled, Rocky+). */
  columns: Map<string, Set<string>>;
}

/** Check that the connected database has nova's tables of `kind`; throws DbError 'not-nova' / 'schema'. */
export async function checkSchema(conn: PoolConnection, kind: SchemaKind, target: DbTarget): Promise<SchemaInfo> {
  const head = `${target.label} ${target.maskedUrl}`;
  const [dbRows] = await conn.query<RowDataPacket[]>('SELECT DATABASE() AS db');
  if (!dbRows[0]?.db) {
    throw new DbError('url', `${head}: the URL names no database; check ${target.source}`);
  }
  const required = REQUIRED[kind];
  const other: SchemaKind = kind === 'api' ? 'cell' : 'api';
  const wanted = [...Object.keys(required), TELLTALE[other], 'alembic_version', 'migrate_version'];
  const [rows] = await conn.query<RowDataPacket[]>(
    'SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?)',
    [wanted],
  );
  const columns = new Map<string, Set<string>>();
  for (const r of rows) {
    const t = String(r.t).toLowerCase();
    let set = columns.get(t);
    if (!set) columns.set(t, (set = new Set()));
    set.add(String(r.c).toLowerCase());
  }

  let version: string | null = null;
  if (columns.has('alembic_version')) {
    const [v] = await conn.query<RowDataPacket[]>('SELECT version_num FROM alembic_version');
    version = v.map((r) => String(r.version_num)).join(',') || null;
  } else if (columns.has('migrate_version')) {
    const [v] = await conn.query<RowDataPacket[]>('SELECT version FROM migrate_version');
    version = v[0] ? `migrate ${v[0].version}` : null;
  }
  const versionNote = version ? `schema version ${version}` : 'no schema version table';

  const missingTables = Object.keys(required).filter((t) => !columns.has(t));
  if (missingTables.length === Object.keys(required).length) {
    const hint =
      columns.has(TELLTALE[other]) && !columns.has(TELLTALE[kind])
        ? kind === 'api'
          ? `this looks like a cell database (it has an instances table); the API database is [api_database] connection`
          : `this looks like the nova_api database (it has cell_mappings); a cell database is [database] connection or a cell_mappings URL`
        : `no nova ${kind === 'api' ? 'API ' : 'cell '}tables here (${Object.keys(required).join(', ')})`;
    throw new DbError(
      'not-nova',
      `${head}: not a nova ${kind === 'api' ? 'API' : 'cell'} database: ${hint}; check ${target.source}`,
    );
  }
  if (missingTables.length > 0) {
    throw new DbError(
      'not-nova',
      `${head}: tables ${missingTables.join(', ')} missing (${versionNote}): an incomplete nova database; was 'nova-manage ${kind === 'api' ? 'api_db' : 'db'} sync' run?`,
    );
  }
  const missingColumns: string[] = [];
  for (const [t, cols] of Object.entries(required)) {
    for (const c of cols) if (!columns.get(t)?.has(c)) missingColumns.push(`${t}.${c}`);
  }
  if (missingColumns.length > 0) {
    throw new DbError(
      'schema',
      `${head}: unknown nova schema (${versionNote}): column ${missingColumns.join(', ')} missing; nova-doctor needs Newton or later`,
    );
  }
  return { version, columns };
}

/** instances.compute_id (nova 2023.2+, migration 1acf2c98e646): moving an instance must move it too. */
export function hasComputeId(schema: SchemaInfo | null): boolean {
  return schema?.columns.get('instances')?.has('compute_id') ?? false;
}

const computeIdKnown = new WeakMap<object, Promise<boolean>>();

/** hasComputeId for a connection the repair holds (no SchemaInfo at hand); asked once per connection. */
export function connectionHasComputeId(conn: {
  query: (sql: string) => Promise<[unknown, unknown]>;
}): Promise<boolean> {
  let known = computeIdKnown.get(conn);
  if (!known) {
    known = conn
      .query(
        "SELECT COUNT(*) AS n FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'instances' AND COLUMN_NAME = 'compute_id'",
      )
      .then(([rows]) => Number((rows as { n: unknown }[])[0]?.n ?? 0) > 0);
    computeIdKnown.set(conn, known);
  }
  return known;
}
