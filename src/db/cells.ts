// Cells as nova_api.cell_mappings lists them: their URLs (templates filled like nova does, or replaced by
// --cell-db), a pool per reachable cell, and the compute nodes the scheduler would consider in each.

import type { RowDataPacket } from 'mysql2';
import type { Pool, PoolConnection } from 'mysql2/promise';
import { parseSupportedInstances } from '../nova/supportedInstances.js';
import type { HostCapabilities } from '../nova/types.js';
import { CELL0_UUID } from '../nova/xenLeftovers.js';
import { type ConnectOptions, type DbTarget, makeTarget, openPool, readOnly } from './connect.js';
import { formatCellDbUrl, maskUrl } from './dbUrl.js';
import { DbError } from './errors.js';
import type { CellOverride } from './resolve.js';
import { checkSchema, type SchemaInfo } from './schema.js';
import type { CellStatus } from './types.js';

export interface CellMappingRow {
  id: number;
  uuid: string;
  name: string | null;
  /** As stored: may be a template. */
  databaseConnection: string;
  disabled: boolean;
}

/** A compute node and whether its nova-compute service is enabled (ComputeFilter drops disabled ones). */
export interface CellHost extends HostCapabilities {
  enabled: boolean;
}

/** A cell with its connection, when we have one. */
export interface OpenCell {
  mapping: CellMappingRow;
  status: CellStatus;
  target: DbTarget | null;
  pool: Pool | null;
  schema: SchemaInfo | null;
  hosts: CellHost[];
  /** What connecting noted but did not stop (URL parameters mysql2 ignores). */
  warnings: string[];
}

export async function readCellMappings(conn: PoolConnection, api: SchemaInfo): Promise<CellMappingRow[]> {
  const hasDisabled = api.columns.get('cell_mappings')?.has('disabled') ?? false;
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT id, uuid, name, database_connection, ${hasDisabled ? 'disabled' : '0 AS disabled'} FROM cell_mappings ORDER BY id`,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    uuid: String(r.uuid),
    name: r.name === null ? null : String(r.name),
    databaseConnection: String(r.database_connection ?? ''),
    disabled: Boolean(Number(r.disabled)),
  }));
}

/** Database name of a URL or URL template (`…/nova_cell1?{query}` → `nova_cell1`). */
export function databaseNameOf(urlOrTemplate: string): string | null {
  const afterScheme = urlOrTemplate.replace(/^[^:]*:\/\//, '');
  const afterAuth = afterScheme.slice(afterScheme.lastIndexOf('@') + 1);
  const slash = afterAuth.indexOf('/');
  if (slash < 0) return null;
  const name = afterAuth.slice(slash + 1).split('?')[0] ?? '';
  return name || null;
}

export function cellLabel(m: CellMappingRow): string {
  return `cell database ${m.name ?? m.uuid}${m.name ? ` (${m.uuid})` : ''}`;
}

/** The --cell-db that replaces this cell's URL: the one naming it (uuid or name), else one with its database name. */
function overrideFor(m: CellMappingRow, overrides: readonly CellOverride[]): CellOverride | undefined {
  const named = overrides.find((o) => o.cell !== null && (o.cell === m.uuid || o.cell === m.name));
  if (named) return named;
  const db = databaseNameOf(m.databaseConnection);
  return overrides.find((o) => o.cell === null && o.database !== null && o.database === db);
}

/** The URL nova would use for this cell (or the operator's override), and where it came from. Throws Error. */
export function cellUrl(
  m: CellMappingRow,
  databaseConnection: string | null,
  overrides: readonly CellOverride[],
): { url: string; source: string } {
  const o = overrideFor(m, overrides);
  if (o)
    return { url: o.url, source: o.cell !== null ? `--cell-db ${o.cell}=…` : `--cell-db (database ${o.database})` };
  const source = `nova_api.cell_mappings.database_connection of ${m.name ?? m.uuid}`;
  return { url: formatCellDbUrl(m.databaseConnection, databaseConnection), source };
}

/**
 * A --cell-db that no cell would use (its NAME or uuid matches no cell mapping, its bare URL's database is no cell's,
 * or another --cell-db already replaces that cell) is a usage error (DbError 'config', exit 2), raised before any cell
 * is opened: a cell URL the operator gave and we silently ignored would send the work through another database.
 */
export function checkCellOverrides(mappings: readonly CellMappingRow[], overrides: readonly CellOverride[]): void {
  const used = new Set(mappings.map((m) => overrideFor(m, overrides)));
  const cells = mappings.map((m) => m.name ?? m.uuid).join(', ');
  for (const o of overrides) {
    // A bare URL replaces every cell whose database has its name: where cells share a name (`nova` on each cell's
    // own server), one cell's work would run on another's database.
    const replaced = mappings.filter((m) => overrideFor(m, overrides) === o);
    if (o.cell === null && replaced.length > 1)
      throw new DbError(
        'config',
        `--cell-db ${maskUrl(o.url)}: cells ${replaced.map((m) => m.name ?? m.uuid).join(', ')} all have database '${o.database ?? ''}'; name the cell: --cell-db NAME=URL`,
      );
    if (used.has(o)) continue;
    const shown = o.cell !== null ? `--cell-db ${o.cell}=…` : `--cell-db ${maskUrl(o.url)}`;
    const taken = mappings.find((m) => overrideFor(m, [o]) === o);
    throw new DbError(
      'config',
      taken
        ? `${shown}: cell ${taken.name ?? taken.uuid} is already given another URL by another --cell-db; give each cell one`
        : o.cell !== null
          ? `${shown} names no cell in nova_api.cell_mappings (the cells are ${cells})`
          : `${shown}: no cell in nova_api.cell_mappings has database '${o.database ?? ''}' (the cells are ${cells}); name the cell: --cell-db NAME=URL`,
    );
  }
}

export async function readHosts(conn: PoolConnection): Promise<CellHost[]> {
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT cn.id, cn.host, cn.hypervisor_hostname, cn.supported_instances, cn.hypervisor_version,
            (SELECT MAX(s.disabled) FROM services s
              WHERE s.host = cn.host AND s.\`binary\` = 'nova-compute' AND s.deleted = 0) AS disabled
       FROM compute_nodes cn WHERE cn.deleted = 0 ORDER BY cn.host, cn.hypervisor_hostname`,
  );
  return rows.map((r) => ({
    host: String(r.host ?? ''),
    node: String(r.hypervisor_hostname ?? ''),
    supportedInstances: r.supported_instances ? (parseSupportedInstances(String(r.supported_instances)) ?? []) : [],
    hypervisorVersion: r.hypervisor_version === null ? null : Number(r.hypervisor_version),
    enabled: !Number(r.disabled),
    id: Number(r.id),
  }));
}

/**
 * Connect to one cell. Never throws for the cell's own problems (unreachable, wrong password, not a nova
 * database, unfillable template): they end up in `status.error` and the other cells go on.
 */
export async function openCell(
  m: CellMappingRow,
  databaseConnection: string | null,
  overrides: readonly CellOverride[],
  opts: ConnectOptions,
): Promise<OpenCell> {
  const status: CellStatus = {
    uuid: m.uuid,
    name: m.name,
    maskedUrl: maskUrl(m.databaseConnection),
    disabled: m.disabled,
    isCell0: m.uuid === CELL0_UUID,
    reachable: false,
    error: null,
  };
  const cell: OpenCell = { mapping: m, status, target: null, pool: null, schema: null, hosts: [], warnings: [] };
  try {
    const { url, source } = cellUrl(m, databaseConnection, overrides);
    status.maskedUrl = maskUrl(url);
    cell.target = makeTarget(cellLabel(m), url, source);
    const opened = await openPool(cell.target, opts);
    cell.pool = opened.pool;
    cell.warnings = opened.warnings;
    const target = cell.target;
    await readOnly(cell.pool, target, async (conn) => {
      cell.schema = await checkSchema(conn, 'cell', target);
      cell.hosts = await readHosts(conn);
    });
    status.reachable = true;
  } catch (e) {
    status.error = e instanceof DbError ? e.message : `${cellLabel(m)} ${status.maskedUrl}: ${(e as Error).message}`;
    await cell.pool?.end().catch(() => undefined);
    cell.pool = null;
  }
  return cell;
}
