import { randomUUID } from 'node:crypto';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { LoadedCloud } from '../../src/db/loadCloud.js';
import type { PrivateMariadb } from '../../src/db/privateMariadb.js';
import type { Manifest } from '../repair/cloud.js';

export { BIN, ROOT, type Run, runBin, workDir } from '../helpers/bin.js';

async function columns(conn: Connection, table: string): Promise<string[]> {
  const [rows] = await conn.query<RowDataPacket[]>(
    'SELECT column_name AS c FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position',
    [table],
  );
  return rows.map((r) => String(r.c));
}

/** INSERT … SELECT one instance's rows of a table with some columns replaced (SQL expressions, ? params). */
async function copyRows(
  conn: Connection,
  table: string,
  where: string,
  whereParams: unknown[],
  replace: Record<string, { sql: string; params: unknown[] }>,
): Promise<void> {
  const cols = (await columns(conn, table)).filter((c) => c !== 'id');
  const params: unknown[] = [];
  const select = cols.map((c) => {
    const r = replace[c];
    if (!r) return `\`${c}\``;
    params.push(...r.params);
    return r.sql;
  });
  await conn.query(
    `INSERT INTO \`${table}\` (${cols.map((c) => `\`${c}\``).join(', ')}) SELECT ${select.join(', ')} FROM \`${table}\` WHERE ${where} ORDER BY id`,
    [...params, ...whereParams],
  );
}

/**
 * Clone every repairable instance of cell1/cell2 until at least `target` instances need repair: the instances,
 * instance_system_metadata and block_device_mapping rows, the request spec (its instance_uuid rewritten) and the
 * instance mapping. Returns the uuids needing repair (originals first).
 */
export async function growCloud(server: PrivateMariadb, cloud: LoadedCloud, target: number): Promise<string[]> {
  const manifest = cloud.manifest as Manifest;
  const sources = manifest.instances.filter((i) => i.repair && (i.cell === 'cell1' || i.cell === 'cell2'));
  const uuids = manifest.instances.filter((i) => i.repair).map((i) => i.uuid);
  const api = await server.connect(cloud.databases.api);
  const cells = {
    cell1: await server.connect(cloud.databases.cell1),
    cell2: await server.connect(cloud.databases.cell2),
  };
  try {
    for (let n = 0; uuids.length < target; n++) {
      const src = sources[n % sources.length]!;
      const cell = cells[src.cell as 'cell1' | 'cell2'];
      const uuid = randomUUID();
      const u = { sql: '?', params: [uuid] };
      await cell.beginTransaction();
      await copyRows(cell, 'instances', 'uuid = ?', [src.uuid], { uuid: u });
      await copyRows(cell, 'instance_system_metadata', 'instance_uuid = ?', [src.uuid], { instance_uuid: u });
      await copyRows(cell, 'block_device_mapping', 'instance_uuid = ?', [src.uuid], {
        instance_uuid: u,
        uuid: { sql: 'UUID()', params: [] },
      });
      await cell.commit();
      await api.beginTransaction();
      await copyRows(api, 'request_specs', 'instance_uuid = ?', [src.uuid], {
        instance_uuid: u,
        spec: { sql: 'REPLACE(spec, ?, ?)', params: [src.uuid, uuid] },
      });
      await copyRows(api, 'instance_mappings', 'instance_uuid = ?', [src.uuid], { instance_uuid: u });
      await api.commit();
      uuids.push(uuid);
    }
    return uuids;
  } finally {
    await api.end();
    await cells.cell1.end();
    await cells.cell2.end();
  }
}

/** Each instance's rows, per database, as exact text (HEX of every column). */
export interface InstanceRows {
  api: string;
  cell: string;
}

async function hexRows(conn: Connection, table: string, key: string): Promise<Map<string, string[]>> {
  const cols = await columns(conn, table);
  const select = cols.map((c) => `HEX(\`${c}\`)`).join(", '|', ");
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT \`${key}\` AS k, CONCAT_WS('', ${select}) AS v FROM \`${table}\` ORDER BY id`,
  );
  const out = new Map<string, string[]>();
  for (const r of rows) {
    const k = String(r.k);
    let list = out.get(k);
    if (!list) out.set(k, (list = []));
    list.push(`${table}:${String(r.v)}`);
  }
  return out;
}

/** Every instance (by uuid) of cell1 and cell2 with its request spec: the rows a repair may touch. */
export async function instanceRows(server: PrivateMariadb, cloud: LoadedCloud): Promise<Map<string, InstanceRows>> {
  const out = new Map<string, InstanceRows>();
  const api = await server.connect(cloud.databases.api);
  try {
    const specs = await hexRows(api, 'request_specs', 'instance_uuid');
    for (const cellDb of [cloud.databases.cell1, cloud.databases.cell2]) {
      const conn = await server.connect(cellDb);
      try {
        const inst = await hexRows(conn, 'instances', 'uuid');
        const meta = await hexRows(conn, 'instance_system_metadata', 'instance_uuid');
        const bdm = await hexRows(conn, 'block_device_mapping', 'instance_uuid');
        for (const [uuid, rows] of inst) {
          out.set(uuid, {
            api: (specs.get(uuid) ?? []).join('\n'),
            cell: [...rows, ...(meta.get(uuid) ?? []), ...(bdm.get(uuid) ?? [])].join('\n'),
          });
        }
      } finally {
        await conn.end();
      }
    }
  } finally {
    await api.end();
  }
  return out;
}

/** Uuids whose rows differ between two views. */
export function changedUuids(a: Map<string, InstanceRows>, b: Map<string, InstanceRows>): string[] {
  return [...a.keys()].filter((u) => a.get(u)?.api !== b.get(u)?.api || a.get(u)?.cell !== b.get(u)?.cell);
}
