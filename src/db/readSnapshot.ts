// The rows nova keeps about instances, read in batches (IN lists) so a sweep over a whole cloud costs a handful
// of queries per thousand instances, and put together as InstanceSnapshots.

import type { RowDataPacket } from 'mysql2';
import type { PoolConnection } from 'mysql2/promise';
import type {
  BlockDeviceMappingRow,
  CellRef,
  InstanceRow,
  InstanceSnapshot,
  RequestSpecRow,
  SystemMetadataRow,
} from '../nova/snapshot.js';
import { MISSING_INSTANCE_ROW } from '../nova/staleness.js';
import type { HostCapabilities } from '../nova/types.js';
import { INSTANCE_COLUMNS } from './schema.js';

/** The Newton–Rocky online-migration marker row in request_specs; its spec is an instance uuid, not JSON. */
export const MARKER_INSTANCE_UUID = '00000000-0000-0000-0000-000000000000';

export interface MappingRow {
  instanceUuid: string;
  /** cell_mappings.id; null while the instance is being built. */
  cellId: number | null;
}

export interface ApiRows {
  specs: Map<string, RequestSpecRow>;
  mappings: Map<string, MappingRow>;
}

export interface CellRows {
  instances: Map<string, InstanceRow>;
  systemMetadata: Map<string, SystemMetadataRow[]>;
  blockDeviceMappings: Map<string, BlockDeviceMappingRow[]>;
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** The instances columns a snapshot holds; compute_id (nova 2023.2+) only where the cell has it. */
const SNAPSHOT_COLUMNS = [...INSTANCE_COLUMNS, 'compute_id'] as const;
type InstanceColumn = (typeof SNAPSHOT_COLUMNS)[number];
const COLUMN_INDEX = new Map<InstanceColumn, number>(SNAPSHOT_COLUMNS.map((c, i) => [c, i]));

/** The SELECT list for an InstanceRow, columns qualified by `alias`; compute_id as text (it is a BIGINT). */
export function instanceSelectList(alias: string, withComputeId: boolean): string {
  const q = (c: string) => (alias ? `${alias}.${c}` : c);
  const plain = INSTANCE_COLUMNS.map(q);
  return [...plain, ...(withComputeId ? [`CAST(${q('compute_id')} AS CHAR) AS compute_id`] : [])].join(', ');
}

/** An instances row read with instanceSelectList, whichever way the driver returned it. */
export function instanceRowFrom(value: (column: InstanceColumn) => unknown, withComputeId: boolean): InstanceRow {
  return {
    id: Number(value('id')),
    uuid: String(value('uuid')),
    displayName: str(value('display_name')),
    vmState: str(value('vm_state')),
    taskState: str(value('task_state')),
    host: str(value('host')),
    node: str(value('node')),
    kernelId: str(value('kernel_id')),
    ramdiskId: str(value('ramdisk_id')),
    rootDeviceName: str(value('root_device_name')),
    vmMode: str(value('vm_mode')),
    imageRef: str(value('image_ref')),
    deleted: Number(value('deleted') ?? 0),
    ...(withComputeId ? { computeId: str(value('compute_id')) } : {}),
  };
}

export function toSpecRow(r: RowDataPacket): RequestSpecRow {
  return { id: Number(r.id), instanceUuid: String(r.instance_uuid), spec: String(r.spec) };
}

/** request_specs and instance_mappings rows for these instances (api database). */
export async function readApiRows(conn: PoolConnection, uuids: readonly string[]): Promise<ApiRows> {
  const specs = new Map<string, RequestSpecRow>();
  const mappings = new Map<string, MappingRow>();
  if (uuids.length === 0) return { specs, mappings };
  const [specRows] = await conn.query<RowDataPacket[]>(
    'SELECT id, instance_uuid, spec FROM request_specs WHERE instance_uuid IN (?)',
    [uuids],
  );
  for (const r of specRows) specs.set(String(r.instance_uuid), toSpecRow(r));
  await readMappings(conn, uuids, mappings);
  return { specs, mappings };
}

export async function readMappings(
  conn: PoolConnection,
  uuids: readonly string[],
  into = new Map<string, MappingRow>(),
): Promise<Map<string, MappingRow>> {
  if (uuids.length === 0) return into;
  const [rows] = await conn.query<RowDataPacket[]>(
    'SELECT instance_uuid, cell_id FROM instance_mappings WHERE instance_uuid IN (?)',
    [uuids],
  );
  for (const r of rows) {
    into.set(String(r.instance_uuid), {
      instanceUuid: String(r.instance_uuid),
      cellId: r.cell_id === null ? null : Number(r.cell_id),
    });
  }
  return into;
}

/** Runs one read on a pooled connection (in its own READ ONLY transaction). */
export type ReadRunner = <T>(fn: (conn: PoolConnection) => Promise<T>) => Promise<T>;

type Cell = string | number | null;

async function arrays(conn: PoolConnection, sql: string, params: unknown[]): Promise<Cell[][]> {
  // Arrays instead of objects: a sweep reads millions of system_metadata rows.
  const [rows] = await conn.query<RowDataPacket[][]>({ sql, rowsAsArray: true }, params);
  return rows as unknown as Cell[][];
}

/** Which instances a cell read covers: a list of uuids, or a range of them. */
type CellSelection =
  | { kind: 'list'; uuids: readonly string[] }
  /** instance_uuid > after (no bound when null) and <= upTo (no bound when null). */
  | { kind: 'range'; after: string | null; upTo: string | null };

/** The condition `column` in (after, upTo], a bound of null being none, and its parameters. */
export function uuidRange(
  column: string,
  after: string | null,
  upTo: string | null,
): { sql: string; params: string[] } {
  const parts: string[] = [];
  const params: string[] = [];
  if (after !== null) {
    parts.push(`${column} > ?`);
    params.push(after);
  }
  if (upTo !== null) {
    parts.push(`${column} <= ?`);
    params.push(upTo);
  }
  return { sql: parts.length === 0 ? 'TRUE' : parts.join(' AND '), params };
}

/** The WHERE condition on `column` for a selection, and its parameters. */
function selectionWhere(column: string, sel: CellSelection): { sql: string; params: unknown[] } {
  if (sel.kind === 'list') return { sql: `${column} IN (?)`, params: [sel.uuids] };
  return uuidRange(column, sel.after, sel.upTo);
}

/**
 * instances (soft-deleted too), every system_metadata row (soft-deleted too: nova loads them), live BDMs. The
 * three tables are read concurrently on separate connections.
 */
export function readCellRows(
  run: ReadRunner,
  uuids: readonly string[],
  /** Only these system_metadata keys (a sweep reads what diagnosis needs); every key when null. */
  sysmetaKeys: readonly string[] | null = null,
  /** The cell has instances.compute_id (hasComputeId): read it too. */
  withComputeId = false,
): Promise<CellRows> {
  if (uuids.length === 0)
    return Promise.resolve({ instances: new Map(), systemMetadata: new Map(), blockDeviceMappings: new Map() });
  return readCell(run, { kind: 'list', uuids }, sysmetaKeys, withComputeId);
}

/**
 * readCellRows for every instance whose uuid is in (after, upTo] (a bound of null: none). A range scan of each
 * table's instance_uuid index costs the server about 40% less CPU than the same rows looked up by IN lists of
 * 1,000 uuids (100k instances: 1.8 s against 3.0 s), and the query is a few bytes instead of ~40 KB. The rows
 * of instances in the range that the caller did not ask about are read too: the caller picks its own.
 */
export function readCellRange(
  run: ReadRunner,
  after: string | null,
  upTo: string | null,
  sysmetaKeys: readonly string[] | null = null,
  withComputeId = false,
): Promise<CellRows> {
  return readCell(run, { kind: 'range', after, upTo }, sysmetaKeys, withComputeId);
}

async function readCell(
  run: ReadRunner,
  sel: CellSelection,
  sysmetaKeys: readonly string[] | null,
  withComputeId: boolean,
): Promise<CellRows> {
  const out: CellRows = { instances: new Map(), systemMetadata: new Map(), blockDeviceMappings: new Map() };
  const byUuid = selectionWhere('uuid', sel);
  const byInstance = selectionWhere('instance_uuid', sel);
  const [inst, meta, bdm] = await Promise.all([
    run((c) =>
      arrays(c, `SELECT ${instanceSelectList('', withComputeId)} FROM instances WHERE ${byUuid.sql}`, byUuid.params),
    ),
    run((c) =>
      arrays(
        c,
        `SELECT id, instance_uuid, \`key\`, value, deleted FROM instance_system_metadata WHERE ${byInstance.sql}${
          sysmetaKeys ? ' AND `key` IN (?)' : ''
        }`,
        sysmetaKeys ? [...byInstance.params, sysmetaKeys] : byInstance.params,
      ),
    ),
    run((c) =>
      arrays(
        c,
        `SELECT id, instance_uuid, device_name, boot_index FROM block_device_mapping WHERE ${byInstance.sql} AND deleted = 0`,
        byInstance.params,
      ),
    ),
  ]);
  for (const r of inst) {
    const row = instanceRowFrom((c) => r[COLUMN_INDEX.get(c) as number], withComputeId);
    out.instances.set(row.uuid, row);
  }
  // In id order, the order nova's relationship loads them in practice.
  meta.sort((a, b) => Number(a[0]) - Number(b[0]));
  for (const [id, uuid, key, value, deleted] of meta) {
    const u = String(uuid);
    let list = out.systemMetadata.get(u);
    if (!list) out.systemMetadata.set(u, (list = []));
    list.push({ id: Number(id), key: String(key), value: str(value), deleted: Number(deleted ?? 0) });
  }
  bdm.sort((a, b) => Number(a[0]) - Number(b[0]));
  for (const [id, uuid, deviceName, bootIndex] of bdm) {
    const u = String(uuid);
    let list = out.blockDeviceMappings.get(u);
    if (!list) out.blockDeviceMappings.set(u, (list = []));
    list.push({
      id: Number(id),
      deviceName: str(deviceName),
      bootIndex: bootIndex === null ? null : Number(bootIndex),
      deleted: 0,
    });
  }
  return out;
}

/** Put one instance's rows together; `problems` says what is missing and why it matters. */
export function assembleSnapshot(
  uuid: string,
  cell: CellRef | null,
  spec: RequestSpecRow | null,
  cellRows: CellRows | null,
  hosts: HostCapabilities[],
  problems: string[],
): InstanceSnapshot {
  const instance = cellRows?.instances.get(uuid) ?? null;
  const out: InstanceSnapshot = {
    uuid,
    cell,
    requestSpec: spec,
    instance,
    systemMetadata: cellRows?.systemMetadata.get(uuid) ?? [],
    blockDeviceMappings: cellRows?.blockDeviceMappings.get(uuid) ?? [],
    hosts,
    problems,
  };
  if (!spec) {
    problems.push('no row in nova_api.request_specs: resize and cold migration fail with RequestSpecNotFound');
  }
  if (cellRows && cell && !instance) {
    problems.push(`${MISSING_INSTANCE_ROW} of cell ${cell?.name ?? cell?.uuid ?? '?'}`);
  }
  return out;
}
