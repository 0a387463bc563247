// The SQL a repair runs: compare-and-swap on exact bytes, whole-row delete and re-insert, and reading a value's
// state. Table and column names come only from the whitelist below; every value is a placeholder.
//
// Every statement names the row by its identity as well as its id: the instance it belongs to (and for system
// metadata its key). A journal line whose row id was edited to point at another instance's row, or a journal of
// another cloud where that id is someone else's row, matches nothing: the state is 'foreign', never a write.
//
// Comparisons use HEX(column) (or SHA2 for long values) against the expected UTF-8 bytes: nova's tables are
// case-insensitive and pad spaces (`'xen' = 'XEN '` is true there); the stored bytes are exact whatever the
// connection's character set.
import { createHash } from 'node:crypto';
import type { Connection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { JournalChange, JournalValue, TableName } from './journal.js';

const COLUMNS: Record<TableName, ReadonlySet<string>> = {
  request_specs: new Set(['spec']),
  instance_system_metadata: new Set(['value']),
  instances: new Set(['kernel_id', 'ramdisk_id', 'root_device_name', 'vm_mode', 'host', 'node', 'compute_id']),
  block_device_mapping: new Set(['device_name']),
};

/** instance_system_metadata as nova's models define it: what a hard-deleted row is journaled and re-inserted with. */
export const SYSMETA_ROW_COLUMNS = [
  'created_at',
  'updated_at',
  'deleted_at',
  'id',
  'key',
  'value',
  'instance_uuid',
  'deleted',
] as const;

function q(identifier: string): string {
  return `\`${identifier}\``;
}

/** Integer columns: journaled as decimal text, compared as the text MariaDB gives them (HEX of a number is its value in hex). */
const NUMERIC: ReadonlySet<string> = new Set(['instances.compute_id']);

/** Quoted table and column, and `v`: the column as the text values are compared with. */
function target(table: TableName, column: string): { t: string; c: string; v: string } {
  if (!(table in COLUMNS)) throw new Error(`repair: table ${table} is not one the repair may change`);
  if (!COLUMNS[table].has(column))
    throw new Error(`repair: column ${table}.${column} is not one the repair may change`);
  const c = q(column);
  return { t: q(table), c, v: NUMERIC.has(`${table}.${column}`) ? `CAST(${c} AS CHAR)` : c };
}

export function hexOf(value: string): string {
  return Buffer.from(value, 'utf8').toString('hex').toUpperCase();
}

/** `col` equals the value byte for byte (NULL only equals NULL). Returns the SQL and its parameters. */
/** Above this many bytes a value is compared by its SHA-256 (a spec is kilobytes; its hex would double that). */
const HASH_ABOVE = 64;

/**
 * `col` equals the value byte for byte (NULL only equals NULL). Short values compare as HEX, long ones as
 * SHA2(col, 256): both work on the stored bytes, never through a collation. Returns the SQL and its parameters.
 */
function equals(column: string, value: JournalValue): { sql: string; params: string[] } {
  if (value === null) return { sql: `${column} IS NULL`, params: [] };
  if (Buffer.byteLength(value, 'utf8') > HASH_ABOVE) {
    return { sql: `SHA2(${column}, 256) = ?`, params: [createHash('sha256').update(value, 'utf8').digest('hex')] };
  }
  return { sql: `HEX(${column}) = ?`, params: [hexOf(value)] };
}

/** The column that says which instance a row belongs to. */
const OWNER: Record<TableName, string> = {
  request_specs: 'instance_uuid',
  instance_system_metadata: 'instance_uuid',
  instances: 'uuid',
  block_device_mapping: 'instance_uuid',
};

/** ` AND` the row belongs to the change's instance (and key): exact bytes, as values are compared. */
function rowIdentity(change: Pick<JournalChange, 'table' | 'key' | 'instanceUuid' | 'rowId'>): {
  sql: string;
  params: string[];
} {
  if (change.instanceUuid === undefined) {
    throw new Error(`repair: ${change.table} id ${change.rowId} without the instance it belongs to`);
  }
  const owner = OWNER[change.table];
  if (!owner) throw new Error(`repair: table ${change.table} is not one the repair may change`);
  let sql = ` AND HEX(${q(owner)}) = ?`;
  const params = [hexOf(change.instanceUuid)];
  if (change.table === 'instance_system_metadata' && change.key !== undefined) {
    sql += ` AND HEX(${q('key')}) = ?`;
    params.push(hexOf(change.key));
  }
  return { sql, params };
}

/** UPDATE … SET col = after WHERE id = ? AND col is exactly `before`: the number of rows changed (0 or 1). */
export async function casUpdate(
  conn: Connection,
  change: JournalChange,
  before: JournalValue,
  after: JournalValue,
): Promise<number> {
  const { t, c, v } = target(change.table, change.column);
  const cond = equals(v, before);
  const key = rowIdentity(change);
  const [res] = await conn.execute<ResultSetHeader>(`UPDATE ${t} SET ${c} = ? WHERE id = ? AND ${cond.sql}${key.sql}`, [
    after,
    change.rowId,
    ...cond.params,
    ...key.params,
  ]);
  return res.affectedRows;
}

/**
 * Several compare-and-swaps in one statement: either many rows of one column (CASE on id) or many columns of
 * one row. True when every row held its old value and was changed; false means some row no longer held its
 * old value (the caller rolls back). Other shapes are refused.
 */
export async function casUpdateBatch(
  conn: Connection,
  changes: readonly JournalChange[],
  /** For instances rows: also require task_state IS NULL AND deleted = 0 (nova is not working on it). */
  idle = false,
): Promise<boolean> {
  const first = changes[0];
  if (!first) return true;
  if (changes.some((c) => c.action !== 'update' || c.table !== first.table))
    throw new Error('repair: a batch is updates of one table');
  const { t } = target(first.table, first.column);
  const sameRow = changes.every((c) => c.rowId === first.rowId);
  const sameColumn = changes.every((c) => c.column === first.column);
  if (sameRow && new Set(changes.map((c) => c.column)).size === changes.length) {
    const sets = changes.map((c) => `${target(c.table, c.column).c} = ?`).join(', ');
    const conds = changes.map((c) => equals(target(c.table, c.column).v, c.before));
    const key = rowIdentity(first);
    if (idle && first.table !== 'instances') throw new Error('repair: only instances rows have a task_state');
    const idleSql = idle ? ' AND task_state IS NULL AND deleted = 0' : '';
    const [res] = await conn.execute<ResultSetHeader>(
      `UPDATE ${t} SET ${sets} WHERE id = ? AND ${conds.map((x) => x.sql).join(' AND ')}${key.sql}${idleSql}`,
      [...changes.map((c) => c.after), first.rowId, ...conds.flatMap((x) => x.params), ...key.params],
    );
    return res.affectedRows === 1;
  }
  if (sameColumn && new Set(changes.map((c) => c.rowId)).size === changes.length) {
    const { c, v } = target(first.table, first.column);
    const whens = changes.map(() => 'WHEN ? THEN ?').join(' ');
    const rows = changes.map((ch) => {
      const cond = equals(v, ch.before);
      const key = rowIdentity(ch);
      return { sql: `(id = ? AND ${cond.sql}${key.sql})`, params: [ch.rowId, ...cond.params, ...key.params] };
    });
    const [res] = await conn.execute<ResultSetHeader>(
      `UPDATE ${t} SET ${c} = CASE id ${whens} END WHERE ${rows.map((r) => r.sql).join(' OR ')}`,
      [...changes.flatMap((ch) => [ch.rowId, ch.after]), ...rows.flatMap((r) => r.params)],
    );
    return res.affectedRows === changes.length;
  }
  throw new Error('repair: a batch is one row or one column');
}

/** Every column of a system metadata row as text (DATETIMEs as 'YYYY-MM-DD hh:mm:ss'), locked; null when gone. */
export async function readSysmetaRow(conn: Connection, id: number): Promise<Record<string, JournalValue> | null> {
  const select = SYSMETA_ROW_COLUMNS.map((c) => `CAST(${q(c)} AS CHAR) AS ${q(c)}`).join(', ');
  const [rows] = await conn.execute<RowDataPacket[]>(
    `SELECT ${select} FROM instance_system_metadata WHERE id = ? FOR UPDATE`,
    [id],
  );
  const row = rows[0];
  if (!row) return null;
  return Object.fromEntries(SYSMETA_ROW_COLUMNS.map((c) => [c, row[c] === null ? null : String(row[c])]));
}

/** DELETE the system metadata row if its value (and key) are exactly as journaled: rows deleted (0 or 1). */
export async function casDelete(conn: Connection, change: JournalChange, value: JournalValue): Promise<number> {
  const cond = equals('value', value);
  const key = rowIdentity(change);
  const [res] = await conn.execute<ResultSetHeader>(
    `DELETE FROM instance_system_metadata WHERE id = ? AND ${cond.sql}${key.sql}`,
    [change.rowId, ...cond.params, ...key.params],
  );
  return res.affectedRows;
}

/** Put a journaled system metadata row back with its id; 0 when a row with that id exists again. */
export async function insertSysmetaRow(conn: Connection, row: Record<string, JournalValue>): Promise<number> {
  const columns = SYSMETA_ROW_COLUMNS.map(q).join(', ');
  const marks = SYSMETA_ROW_COLUMNS.map(() => '?').join(', ');
  const [res] = await conn.execute<ResultSetHeader>(
    `INSERT IGNORE INTO instance_system_metadata (${columns}) VALUES (${marks})`,
    SYSMETA_ROW_COLUMNS.map((c) => row[c] ?? null),
  );
  return res.affectedRows;
}

/** foreign: a row with that id exists but belongs to another instance (or key) than the change names. */
export type ValueState = 'before' | 'after' | 'other' | 'missing' | 'foreign';

/** Where one change stands in the database right now (for dry runs, resume and verification). */
export async function changeState(
  conn: Connection,
  change: JournalChange,
  lock = false,
): Promise<{ state: ValueState; current: JournalValue; owner?: string }> {
  const suffix = lock ? ' FOR UPDATE' : '';
  if (change.instanceUuid === undefined) {
    throw new Error(`repair: ${change.table} id ${change.rowId} without the instance it belongs to`);
  }
  const owner = OWNER[change.table];
  const sysmeta = change.table === 'instance_system_metadata';
  const keySelect = sysmeta ? `, HEX(${q('key')}) AS k, ${q('key')} AS kr` : '';
  const ownerSelect = `HEX(${q(owner)}) AS o, ${q(owner)} AS ou${keySelect}`;
  const foreign = (row: RowDataPacket): string | null => {
    const mismatch =
      row.o !== hexOf(change.instanceUuid!) || (sysmeta && change.key !== undefined && row.k !== hexOf(change.key));
    if (!mismatch) return null;
    return `instance ${row.ou === null ? 'NULL' : String(row.ou)}${sysmeta ? `, key ${row.kr === null ? 'NULL' : String(row.kr)}` : ''}`;
  };
  if (change.action === 'update') {
    const { t, v } = target(change.table, change.column);
    const [rows] = await conn.execute<RowDataPacket[]>(
      `SELECT HEX(${v}) AS h, ${v} AS v, ${ownerSelect} FROM ${t} WHERE id = ?${suffix}`,
      [change.rowId],
    );
    const row = rows[0];
    if (!row) return { state: 'missing', current: null };
    const current = row.v === null ? null : String(row.v);
    const other = foreign(row);
    if (other !== null) return { state: 'foreign', current, owner: other };
    const is = (v: JournalValue) => (v === null ? row.h === null : row.h === hexOf(v));
    return { state: is(change.after) ? 'after' : is(change.before) ? 'before' : 'other', current };
  }
  // delete/insert: the row's presence (with its journaled value) is the state.
  const [rows] = await conn.execute<RowDataPacket[]>(
    `SELECT HEX(value) AS h, value AS v, ${ownerSelect} FROM instance_system_metadata WHERE id = ?${suffix}`,
    [change.rowId],
  );
  const row = rows[0];
  const presentMeans: ValueState = change.action === 'delete' ? 'before' : 'after';
  const absentMeans: ValueState = change.action === 'delete' ? 'after' : 'before';
  if (!row) return { state: absentMeans, current: null };
  const current = row.v === null ? null : String(row.v);
  const other = foreign(row);
  if (other !== null) return { state: 'foreign', current, owner: other };
  const value = change.action === 'delete' ? change.before : change.after;
  const matches = value === null ? row.h === null : row.h === hexOf(value);
  return { state: matches ? presentMeans : 'other', current };
}
