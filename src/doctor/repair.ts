// Steps 3-4: plan each traced instance, then apply (or dry-run) and undo through the journal.
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { PoolConnection } from 'mysql2/promise';
import type { NovaDatabases } from '../db/trace.js';
import { applyPlans, type RepairConnections } from '../repair/apply.js';
import { type PlanOptions, planRepair } from '../repair/plan.js';
import { type ResumeResult, resumeJournal } from '../repair/resume.js';
import type { ApplyResult, RepairPlan, UndoResult } from '../repair/types.js';
import { undoJournal } from '../repair/undo.js';
import type { TracedInstance } from './trace.js';

export function planFor(traced: TracedInstance, options: PlanOptions): RepairPlan {
  return planRepair(traced.snapshot, options);
}

/** Journals go where the operator will find them again: $XDG_STATE_HOME/nova-doctor (0700). */
export function defaultJournalPath(now = new Date()): string {
  const base = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return join(base, 'nova-doctor', `repair-${stamp}.jsonl`);
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

/**
 * Instances repaired at once: each still one transaction per database, but round trips overlap. Kept below the
 * pools' size (4) so reads never wait for a connection.
 */
const PARALLEL_SETS = 3;
const PARALLEL_FROM = 20;

export interface RepairRun {
  apply: boolean;
  journalPath: string | null;
  planOptions: PlanOptions;
  onProgress?: (done: number, total: number, uuid: string) => void;
}

export async function applyRepairs(nova: NovaDatabases, plans: RepairPlan[], run: RepairRun): Promise<ApplyResult[]> {
  const cells = plans.filter((p) => p.status === 'planned' && p.cell).map((p) => p.cell!.uuid);
  const sets = run.apply && cells.length >= PARALLEL_FROM ? PARALLEL_SETS : 1;
  return withConnections(
    nova,
    cells,
    (conns) =>
      applyPlans(plans, conns, {
      apply: run.apply,
      journal: run.apply ? (run.journalPath ?? defaultJournalPath()) : undefined,
      planOptions: run.planOptions,
        onProgress: run.onProgress,
      }),
    sets,
  );
}

/** Cells named in a journal, so undo/resume can open exactly those. */
async function journalCells(nova: NovaDatabases): Promise<string[]> {
  return nova
    .cells()
    .filter((c) => c.reachable)
    .map((c) => c.uuid);
}

export async function undoRepairs(nova: NovaDatabases, journalPath: string, apply: boolean): Promise<UndoResult[]> {
  return withConnections(nova, await journalCells(nova), ([conns]) => undoJournal(journalPath, conns!, { apply }));
}

export async function resumeRepairs(
  nova: NovaDatabases,
  journalPath: string,
  apply: boolean,
  mode: 'finish' | 'rollback',
): Promise<ResumeResult[]> {
  return withConnections(nova, await journalCells(nova), ([conns]) => resumeJournal(journalPath, conns!, { apply, mode }));
}
