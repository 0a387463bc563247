// Steps 3-4: plan each traced instance, then apply (or dry-run) and undo through the journal.
import { basename, join } from 'node:path';
import type { Connection, PoolConnection, RowDataPacket } from 'mysql2/promise';
import { describeMissingGrants, type MissingGrant, missingRepairGrants } from '../db/grants.js';
import type { NovaDatabases } from '../db/trace.js';
import type { DbOptions } from '../db/types.js';
import { DoctorError, ExitCode } from '../errors.js';
import type { RepairConnections } from '../repair/apply.js';
import { defaultJournalPath as journalDefaultPath } from '../repair/journal.js';
import { type PlanOptions, planBrief, planRepair } from '../repair/plan.js';
import { type ResumeResult, resumeJournal } from '../repair/resume.js';
import type { RepairPlan, UndoResult } from '../repair/types.js';
import { undoJournal } from '../repair/undo.js';
import type { TracedInstance } from './trace.js';

export function planFor(traced: TracedInstance, options: PlanOptions, brief = false): RepairPlan {
  return (brief ? planBrief : planRepair)(traced.snapshot, options, traced.reading ?? undefined);
}

/**
 * Journals go where the operator will find them again ($XDG_STATE_HOME/nova-doctor, the journal's own default), or
 * into `dir` when the session has its own place (the demo: its journal goes with its database).
 */
export function defaultJournalPath(dir: string | null = null): string {
  const path = journalDefaultPath();
  return dir ? join(dir, basename(path)) : path;
}

/**
 * Borrows one connection to nova_api and one to each cell the plans touch, and gives them back whatever happens.
 * Cells are keyed by uuid, as plans name them.
 */
export async function withConnections<T>(
  nova: NovaDatabases,
  cellUuids: Iterable<string>,
  fn: (conns: RepairConnections[]) => Promise<T>,
  sets = 1,
): Promise<T> {
  const held: PoolConnection[] = [];
  const cellList = [...new Set(cellUuids)];
  try {
    const out: RepairConnections[] = [];
    for (let i = 0; i < sets; i++) {
      const api = await nova.apiConnection().getConnection();
      held.push(api);
      const cells = new Map<string, PoolConnection>();
      for (const uuid of cellList) {
        const conn = await nova.cellConnection(uuid).getConnection();
        held.push(conn);
        cells.set(uuid, conn);
      }
      out.push({ api, cells });
    }
    return await fn(out);
  } finally {
    for (const c of held) c.release();
  }
}

async function scalar(conn: Connection, sql: string): Promise<string> {
  const [rows] = await conn.query<RowDataPacket[]>({ sql, rowsAsArray: true });
  return String((rows as unknown as unknown[][])[0]?.[0] ?? '');
}

/**
 * A read-only account must learn what to grant before anything is written, not from "UPDATE command denied"
 * halfway through a change set. api and cells may be different servers and users: each is asked on its own.
 */
export async function requireRepairGrants(conns: RepairConnections): Promise<void> {
  const missing: MissingGrant[] = [];
  const users = new Set<string>();
  const apiDb = await scalar(conns.api, 'SELECT DATABASE()');
  users.add(await scalar(conns.api, 'SELECT CURRENT_USER()'));
  missing.push(...(await missingRepairGrants(conns.api, { api: apiDb, cells: [] })));
  for (const conn of conns.cells.values()) {
    const cellDb = await scalar(conn, 'SELECT DATABASE()');
    users.add(await scalar(conn, 'SELECT CURRENT_USER()'));
    const needs = await missingRepairGrants(conn, { api: apiDb, cells: [cellDb] });
    missing.push(...needs.filter((m) => m.database === cellDb));
  }
  if (missing.length === 0) return;
  const user = [...users].map((u) => u.replace(/^([^@]*)@(.*)$/, "'$1'@'$2'")).join(', ');
  throw new DoctorError(describeMissingGrants(missing, user), { exitCode: ExitCode.database });
}

/**
 * A server that does not flush its redo log at every commit can lose committed repairs in a crash while our
 * journal says they happened (seen in the restart fault test). Worth a warning, not a refusal: it is the
 * operator's server setting, and undo/resume read the rows, not only the journal.
 */
export async function durabilityWarnings(conns: RepairConnections): Promise<string[]> {
  const warnings: string[] = [];
  const check = async (conn: Connection, label: string) => {
    const value = await scalar(conn, 'SELECT @@innodb_flush_log_at_trx_commit').catch(() => '1');
    if (value !== '1') {
      warnings.push(
        `${label}: innodb_flush_log_at_trx_commit = ${value}; a server crash can lose committed repairs the journal records (check with repair --resume after a crash)`,
      );
    }
  };
  await check(conns.api, 'nova_api');
  for (const [uuid, conn] of conns.cells) await check(conn, `cell ${uuid}`);
  return warnings;
}

/**
 * Instances repaired at once: each still one transaction per database, but round trips overlap. Kept below the
 * pools' size (4) so reads never wait for a connection.
 */
export const PARALLEL_SETS = 3;
export const PARALLEL_FROM = 20;

export interface RepairRun {
  apply: boolean;
  journalPath: string | null;
  planOptions: PlanOptions;
  onProgress?: (done: number, total: number, uuid: string) => void;
  onWarning?: (text: string) => void;
  /** Aborted: finish the instances in progress, start no other (see applyPlans). */
  signal?: AbortSignal;
  /** The database options the run was given: what a command printed to go on from its journal names. */
  db?: DbOptions | null;
}

/** Cells named in a journal, so undo/resume can open exactly those. */
async function journalCells(nova: NovaDatabases): Promise<string[]> {
  return nova
    .cells()
    .filter((c) => c.reachable && !c.isCell0) // repairs never touch cell0: nothing ran there
    .map((c) => c.uuid);
}

export async function undoRepairs(
  nova: NovaDatabases,
  journalPath: string,
  apply: boolean,
  onWarning?: (text: string) => void,
): Promise<UndoResult[]> {
  return withConnections(nova, await journalCells(nova), async ([conns]) => {
    if (apply) await requireRepairGrants(conns!);
    return undoJournal(journalPath, conns!, { apply, onNote: onWarning });
  });
}

export async function resumeRepairs(
  nova: NovaDatabases,
  journalPath: string,
  apply: boolean,
  mode: 'finish' | 'rollback',
  onWarning?: (text: string) => void,
): Promise<ResumeResult[]> {
  return withConnections(nova, await journalCells(nova), async ([conns]) => {
    if (apply) await requireRepairGrants(conns!);
    return resumeJournal(journalPath, conns!, { apply, mode, onNote: onWarning });
  });
}
