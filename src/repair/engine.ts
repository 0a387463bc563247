// Runs one change set (an instance's repair, undo or resume step) against nova_api and the cell database:
// one transaction per database, compare-and-swap on every row, the journal synced before each COMMIT.
//
// Order: lock the instances row (and re-check task_state under that lock), change the cell rows, change the
// api rows, journal the intent, COMMIT api, journal it, COMMIT cell, journal it. Until the first COMMIT
// nothing is visible and any problem rolls both back. The two databases may be different servers, so the
// window between the two COMMITs is the one a crash can leave half done: the journal then says
// api-committed (or only intent, if the crash came before the record), and resume looks at the rows.
import { randomUUID } from 'node:crypto';
import type { Operation } from 'fast-json-patch';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { CellRef } from '../nova/snapshot.js';
import { locationOf } from './cloudIdentity.js';
import { faultStep } from './faultStep.js';
import {
  type ChangeSetKind,
  type DatabaseIdentity,
  hydrateSpans,
  type Journal,
  type JournalChange,
  type JournalValue,
  needsHydration,
} from './journal.js';
import {
  casDelete,
  casUpdate,
  casUpdateBatch,
  changeState,
  insertSysmetaRow,
  readSysmetaRow,
  type ValueState,
} from './rows.js';

/** What the repair writes with: the nova_api connection and one connection per cell database (by cell uuid). */
export interface RepairConnections {
  api: Connection;
  cells: ReadonlyMap<string, Connection>;
}

/** Named points where a test (or NOVA_DOCTOR_FAIL_AFTER) can make the process "crash". */
export type FaultPoint = 'intent' | 'api-commit' | 'cell-commit';
export const FAULT_POINTS: readonly FaultPoint[] = ['intent', 'api-commit', 'cell-commit'];

/** Thrown at a fault point. Nothing is rolled back or journaled after it: callers treat it as a crash. */
export class InjectedFault extends Error {
  override readonly name = 'InjectedFault';
  constructor(readonly point: FaultPoint) {
    super(`injected fault after ${point} (simulated crash)`);
  }
}

export function faultFromEnv(): FaultPoint | null {
  const v = process.env.NOVA_DOCTOR_FAIL_AFTER;
  return v && (FAULT_POINTS as readonly string[]).includes(v) ? (v as FaultPoint) : null;
}

export interface ChangeSetSpec {
  id?: string;
  kind: ChangeSetKind;
  reverses?: string;
  uuid: string;
  cell: CellRef | null;
  requestSpecPatch?: Operation[];
  changes: JournalChange[];
  /** abort: any conflict rolls everything back (repair). skip-row: conflicting rows are left alone (undo). */
  onConflict: 'abort' | 'skip-row';
  /** Write the intent record (false when finishing a change set whose intent is already journaled). */
  writeIntent: boolean;
}

export interface Conflict {
  change: JournalChange;
  state: ValueState;
  current: JournalValue;
  /** state 'foreign': whose row it is now (instance, key). */
  owner?: string;
}

export interface ChangeSetOutcome {
  id: string;
  status: 'committed' | 'conflict' | 'skipped' | 'failed' | 'nothing-to-do';
  reason: string | null;
  applied: JournalChange[];
  conflicts: Conflict[];
  /** Set when the change set failed because a connection died (server restart, network): later ones would too. */
  connectionLost?: string;
}

export interface EngineOptions {
  journal: Journal;
  failAfter: FaultPoint | null;
  lockWaitTimeoutSeconds: number;
}

const LOCK_ERRORS = new Set(['ER_LOCK_WAIT_TIMEOUT', 'ER_LOCK_DEADLOCK']);

function errorCode(err: unknown): string | undefined {
  return (err as { code?: string }).code;
}

// Codes a query gets when the server goes away under it (shutdown, crash, KILL), besides mysql2's fatal errors.
const GONE_ERRORS = new Set(['ER_SERVER_SHUTDOWN', 'ER_CONNECTION_KILLED', 'ECONNRESET', 'EPIPE']);

/** Did this error end the connection (mysql2 marks those fatal), so that every later statement on it fails too? */
export function isConnectionLost(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  return (err as { fatal?: unknown }).fatal === true || GONE_ERRORS.has(errorCode(err) ?? '');
}

/** Schema and server of a connection, as the change set's record names them (no credentials). */
async function identity(conn: Connection): Promise<DatabaseIdentity> {
  const l = await locationOf(conn);
  return { schema: l.schema, server: l.server.hostname === null ? null : `${l.server.hostname}:${l.server.port}` };
}

const prepared = new WeakMap<Connection, number>();

/** Bounded lock waits and a UTF-8 connection; checked once per connection and timeout. */
export async function prepareConnection(conn: Connection, lockWaitTimeoutSeconds: number): Promise<void> {
  if (prepared.get(conn) === lockWaitTimeoutSeconds) return;
  if (!Number.isInteger(lockWaitTimeoutSeconds) || lockWaitTimeoutSeconds < 1) {
    throw new Error(`lock wait timeout must be a whole number of seconds ≥ 1, not ${lockWaitTimeoutSeconds}`);
  }
  await conn.query('SET SESSION innodb_lock_wait_timeout = ?', [lockWaitTimeoutSeconds]);
  const [rows] = await conn.query<RowDataPacket[]>('SELECT @@character_set_connection AS cs');
  const cs = String(rows[0]?.cs ?? '');
  if (!/^utf8/.test(cs)) {
    throw new Error(
      `the database connection uses character set ${cs}; the repair needs utf8mb4 to write values exactly`,
    );
  }
  prepared.set(conn, lockWaitTimeoutSeconds);
}

async function safeRollback(conn: Connection | undefined, open: boolean): Promise<void> {
  if (!conn || !open) return;
  try {
    await conn.rollback();
  } catch {
    // The connection is gone; the server rolls the transaction back by itself.
  }
}

/** Apply one change in an open transaction; null on success, the conflict otherwise. */
async function applyChange(conn: Connection, change: JournalChange): Promise<Conflict | null> {
  let affected: number;
  if (change.action === 'update') {
    affected = await casUpdate(conn, change, change.before, change.after);
  } else if (change.action === 'delete') {
    const row = await readSysmetaRow(conn, change.rowId);
    if (!row) return { change, state: 'missing', current: null };
    affected = await casDelete(conn, change, change.before);
    if (affected === 1) change.row = row;
  } else {
    if (!change.row) throw new Error(`change set row ${change.table} ${change.rowId}: insert without the row`);
    affected = await insertSysmetaRow(conn, change.row);
  }
  if (affected === 1) return null;
  return { change, ...(await changeState(conn, change, true)) };
}

/** A conflict that is not a changed value but another row: the change does not describe this database. */
const isForeign = (c: { state: ValueState }) => c.state === 'foreign';
const hasMoved = (c: { state: ValueState }) => c.state === 'other' || c.state === 'missing' || c.state === 'foreign';

/** Changes that one statement can compare-and-swap together (updates of one table: one row or one column). */
function batches(changes: readonly JournalChange[]): JournalChange[][] {
  const out: JournalChange[][] = [];
  const byTable = new Map<string, JournalChange[]>();
  for (const c of changes) {
    if (c.action !== 'update') {
      out.push([c]);
      continue;
    }
    let list = byTable.get(c.table);
    if (!list) {
      byTable.set(c.table, (list = []));
      out.push(list);
    }
    list.push(c);
  }
  return out.flatMap((group) => {
    const first = group[0]!;
    if (group.length === 1 || first.action !== 'update') return [group];
    const oneRow =
      group.every((c) => c.rowId === first.rowId) && new Set(group.map((c) => c.column)).size === group.length;
    const oneColumn =
      group.every((c) => c.column === first.column) && new Set(group.map((c) => c.rowId)).size === group.length;
    return oneRow || oneColumn ? [group] : group.map((c) => [c]);
  });
}

/** Apply changes in an open transaction, all or nothing: the conflicts (empty when every row matched). */
async function applyAll(conn: Connection, changes: readonly JournalChange[]): Promise<Conflict[]> {
  for (const batch of batches(changes)) {
    faultStep();
    if (batch.length === 1) {
      const conflict = await applyChange(conn, batch[0]!);
      if (conflict) return [conflict];
      continue;
    }
    if (!(await casUpdateBatch(conn, batch))) {
      const states = await Promise.all(
        batch.map(async (change) => ({ change, ...(await changeState(conn, change, true)) })),
      );
      // Rows that still hold their old value are not the problem (a one-row statement changes all or nothing).
      const moved = states.filter(hasMoved);
      // The statement matched fewer rows than it should: never report that as success.
      return moved.length > 0 ? moved : states.map((s) => ({ ...s, state: 'other' as const }));
    }
  }
  return [];
}

function describeConflict(c: Conflict): string {
  const where = `${c.change.database === 'api' ? 'nova_api' : 'cell'}.${c.change.table} id ${c.change.rowId}${c.change.key ? ` (${c.change.key})` : ''}`;
  if (c.state === 'missing') return `${where} is gone`;
  if (c.state === 'foreign') {
    return `${where} belongs to ${c.owner ?? 'another instance'}, not to instance ${c.change.instanceUuid ?? '?'}${c.change.key ? ` (${c.change.key})` : ''} as the journal says`;
  }
  if (c.change.action === 'insert') return `${where} exists again`;
  return `${where} changed since it was read (now ${c.current === null ? 'NULL' : JSON.stringify(c.current.length > 60 ? `${c.current.slice(0, 60)}…` : c.current)})`;
}

export function describeConflicts(conflicts: readonly Conflict[]): string {
  return conflicts.map(describeConflict).join('; ');
}

/** Run one change set. Never throws for database trouble (it reports it); rethrows InjectedFault. */
export async function runChangeSet(
  conns: RepairConnections,
  spec: ChangeSetSpec,
  options: EngineOptions,
): Promise<ChangeSetOutcome> {
  const id = spec.id ?? randomUUID();
  const outcome = (
    status: ChangeSetOutcome['status'],
    reason: string | null,
    applied: JournalChange[] = [],
    conflicts: Conflict[] = [],
  ): ChangeSetOutcome => ({
    id,
    status,
    reason,
    applied,
    conflicts,
  });
  const apiChanges = spec.changes.filter((c) => c.database === 'api');
  const cellChanges = spec.changes.filter((c) => c.database === 'cell');
  const cellConn = spec.cell ? conns.cells.get(spec.cell.uuid) : undefined;
  if (!cellConn) {
    return outcome(
      'failed',
      `no connection to cell ${spec.cell?.name ?? spec.cell?.uuid ?? '(none)'} of instance ${spec.uuid}`,
    );
  }
  const apiConn = conns.api;
  let cellOpen = false;
  let apiOpen = false;
  let apiCommitted = false;
  const applied: JournalChange[] = [];
  const conflicts: Conflict[] = [];
  try {
    await prepareConnection(cellConn, options.lockWaitTimeoutSeconds);
    if (apiChanges.length > 0) await prepareConnection(apiConn, options.lockWaitTimeoutSeconds);

    // The first statement locks the instances row: that serialises us with nova's own task_state updates
    // (instance.save(expected_task_state=…)), and task_state is checked under that lock. When the instances row
    // itself changes, its compare-and-swap carries the check (one statement instead of two).
    faultStep();
    await cellConn.beginTransaction();
    cellOpen = true;
    const instanceRow = cellChanges.filter((c) => c.table === 'instances' && c.action === 'update');
    const folded =
      spec.onConflict === 'abort' &&
      instanceRow.length > 0 &&
      instanceRow.every((c) => c.rowId === instanceRow[0]!.rowId) &&
      new Set(instanceRow.map((c) => c.column)).size === instanceRow.length;
    let cellRest = cellChanges;
    let lockOk = true;
    faultStep();
    if (folded) {
      lockOk = await casUpdateBatch(cellConn, instanceRow, true);
      cellRest = cellChanges.filter((c) => !instanceRow.includes(c));
    }
    if (!folded || !lockOk) {
      const [instances] = await cellConn.execute<RowDataPacket[]>(
        'SELECT id, task_state, deleted FROM instances WHERE uuid = ? FOR UPDATE',
        [spec.uuid],
      );
      const inst = instances[0];
      const refusal = !inst
        ? outcome('failed', `instance ${spec.uuid} is not in the cell database any more`)
        : Number(inst.deleted) !== 0
          ? outcome('skipped', 'the instance was deleted since the plan')
          : inst.task_state !== null
            ? outcome(
                'skipped',
                `task_state is ${inst.task_state}: nova started working on this instance; nothing was changed`,
              )
            : null;
      if (refusal) {
        await safeRollback(cellConn, cellOpen);
        return refusal;
      }
      if (!lockOk) {
        // Idle and present: so a column of the row no longer held its old value.
        const states = await Promise.all(
          instanceRow.map(async (change) => ({ change, ...(await changeState(cellConn, change, true)) })),
        );
        const moved = states.filter(hasMoved);
        await safeRollback(cellConn, cellOpen);
        const found = moved.length > 0 ? moved : states.map((s) => ({ ...s, state: 'other' as const }));
        return outcome('conflict', `${describeConflicts(found)}; nothing was changed`, [], found);
      }
    }

    const run = async (conn: Connection, changes: readonly JournalChange[]): Promise<void> => {
      if (spec.onConflict === 'abort') {
        const found = await applyAll(conn, changes);
        if (found.length > 0) conflicts.push(...found);
        else applied.push(...changes);
        return;
      }
      for (const change of changes) {
        faultStep();
        const conflict = await applyChange(conn, change);
        if (conflict) conflicts.push(conflict);
        else applied.push(change);
      }
    };
    if (folded) applied.push(...instanceRow);
    await run(cellConn, cellRest);
    // Another instance's row (or key) where the change names one: whatever the mode, nothing of it is written.
    const stop = () => conflicts.some(isForeign) || (conflicts.length > 0 && spec.onConflict === 'abort');
    if (!stop() && apiChanges.length > 0) {
      faultStep();
      await apiConn.beginTransaction();
      apiOpen = true;
      await run(apiConn, apiChanges);
    }
    if (conflicts.some(isForeign)) {
      await safeRollback(apiConn, apiOpen);
      await safeRollback(cellConn, cellOpen);
      const foreign = conflicts.filter(isForeign);
      return outcome(
        'failed',
        `${describeConflicts(foreign)}: the row is not the one the journal names; nothing was changed`,
        [],
        foreign,
      );
    }
    if ((conflicts.length > 0 && spec.onConflict === 'abort') || applied.length === 0) {
      await safeRollback(apiConn, apiOpen);
      await safeRollback(cellConn, cellOpen);
      if (conflicts.length === 0) return outcome('nothing-to-do', 'no rows to change', [], []);
      return outcome('conflict', `${describeConflicts(conflicts)}; nothing was changed`, [], conflicts);
    }

    if (spec.writeIntent) {
      faultStep();
      // Every row named in full (its database's name, its instance) and sealed with a sha256 over all of it.
      const schemas = {
        api: apiOpen ? (await locationOf(apiConn)).schema : null,
        cell: (await locationOf(cellConn)).schema,
      };
      // The journal writes them in its version: v4 states the databases' names and the instance once and seals
      // the change set with one sha256; older versions seal each row. A request spec goes in as its edits.
      const named = applied.map((c) => ({
        ...c,
        schema: schemas[c.database],
        instanceUuid: c.instanceUuid ?? spec.uuid,
      }));
      await options.journal.append({
        type: 'intent',
        id,
        kind: spec.kind,
        ...(spec.reverses ? { reverses: spec.reverses } : {}),
        uuid: spec.uuid,
        cell: spec.cell,
        at: new Date().toISOString(),
        databases: {
          api: apiOpen ? await identity(apiConn) : { schema: null, server: null },
          cell: await identity(cellConn),
        },
        ...(spec.requestSpecPatch ? { requestSpecPatch: spec.requestSpecPatch } : {}),
        changes: named,
      });
    }
    if (options.failAfter === 'intent') throw new InjectedFault('intent');
    faultStep();

    if (apiOpen) {
      await apiConn.commit();
      apiOpen = false;
      apiCommitted = true;
    }
    if (options.failAfter === 'api-commit') throw new InjectedFault('api-commit');
    faultStep();
    await options.journal.append({
      type: 'state',
      id,
      uuid: spec.uuid,
      state: 'api-committed',
      at: new Date().toISOString(),
    });
    faultStep();
    await cellConn.commit();
    cellOpen = false;
    if (options.failAfter === 'cell-commit') throw new InjectedFault('cell-commit');
    faultStep();
    // Nothing waits for this record: the rows are committed either way, and resume can tell from them.
    options.journal.appendLater({
      type: 'state',
      id,
      uuid: spec.uuid,
      state: 'cell-committed',
      at: new Date().toISOString(),
    });
    const reason = conflicts.length > 0 ? `left alone: ${describeConflicts(conflicts)}` : null;
    return outcome('committed', reason, applied, conflicts);
  } catch (err) {
    if (err instanceof InjectedFault) throw err;
    await safeRollback(apiConn, apiOpen);
    await safeRollback(cellConn, cellOpen);
    const message = (err as Error).message;
    const lost = isConnectionLost(err) ? { connectionLost: message } : {};
    if (apiCommitted) {
      return {
        ...outcome(
          'failed',
          `nova_api committed but the cell database failed (${message}); run resume on the journal ${options.journal.path} to finish or roll back`,
          applied,
          conflicts,
        ),
        ...lost,
      };
    }
    if (LOCK_ERRORS.has(errorCode(err) ?? '')) {
      return outcome(
        'conflict',
        `rows are locked by another transaction (waited ${options.lockWaitTimeoutSeconds}s): nothing was changed`,
      );
    }
    return { ...outcome('failed', `${message}; nothing was changed`), ...lost };
  }
}

/**
 * Changes read from a journal that keeps request spec texts as their edits (v3) get both texts back from what
 * the row holds now (journal.ts hydrateSpans); before that no change of them can be compared or swapped.
 */
export async function hydrateChanges(conns: RepairConnections, changes: readonly JournalChange[]): Promise<void> {
  for (const c of changes) {
    if (!needsHydration(c)) continue;
    const [rows] = await conns.api.execute<RowDataPacket[]>('SELECT spec FROM request_specs WHERE id = ?', [c.rowId]);
    const spec = rows[0]?.spec;
    hydrateSpans(c, spec === undefined || spec === null ? null : String(spec));
  }
}

/** Where each change stands now, read without locks. */
export async function inspectChanges(
  conns: RepairConnections,
  cell: CellRef | null,
  changes: readonly JournalChange[],
): Promise<{ change: JournalChange; state: ValueState; current: JournalValue; owner?: string }[]> {
  const cellConn = cell ? conns.cells.get(cell.uuid) : undefined;
  const out: { change: JournalChange; state: ValueState; current: JournalValue; owner?: string }[] = [];
  for (const change of changes) {
    const conn = change.database === 'api' ? conns.api : cellConn;
    if (!conn) throw new Error(`no connection to cell ${cell?.name ?? cell?.uuid ?? '(none)'}`);
    out.push({ change, ...(await changeState(conn, change)) });
  }
  return out;
}
