// What `a` and `u` would do, said before they do it: which instances, which databases and tables.
// Pure: reads the doctor's plans, decides nothing about nova.
import type { InstanceRow, PlanSummary } from '../doctor/types.js';
import { plural } from './format.js';
import type { ConfirmRequest } from './screen.js';

export type RequestOrNotice = { request: ConfirmRequest } | { notice: string };

/** 'nova_api' or 'cell <name>': how the confirmation names a database. */
export function databaseLabel(database: 'api' | 'cell', view: InstanceRow): string {
  if (database === 'api') return 'nova_api';
  const cell = view.planSummary?.cell;
  const name = cell?.name ?? view.cellName ?? cell?.uuid ?? 'unknown cell';
  return `cell ${name}`;
}

/**
 * "nova_api: request_specs (3 rows)" per database the plans write to: rows, not the values changed in them. From
 * each plan's summary (its distinct rows per table: instances never share a row), so marking thousands of
 * instances keeps no plan in memory.
 */
export function writesSummary(views: readonly InstanceRow[]): string[] {
  const byDb = new Map<string, Map<string, number>>();
  for (const view of views) {
    const summary: PlanSummary | null = view.planSummary;
    if (!summary) continue;
    for (const w of summary.writes) {
      const db = databaseLabel(w.database, view);
      const tables = byDb.get(db) ?? new Map<string, number>();
      tables.set(w.table, (tables.get(w.table) ?? 0) + w.rows);
      byDb.set(db, tables);
    }
  }
  return [...byDb.entries()].map(
    ([db, tables]) =>
      `${db}: ${[...tables.entries()].map(([table, rows]) => `${table} (${plural(rows, 'row')})`).join(', ')}`,
  );
}

/**
 * The confirmation for repairing `uuids` (the marked instances, or the one under the cursor).
 * Only instances with a planned repair take part; the rest are named as left alone.
 */
export function applyRequest(
  uuids: readonly string[],
  views: { get(uuid: string): InstanceRow | undefined },
): RequestOrNotice {
  const chosen = uuids.map((u) => views.get(u)).filter((v): v is InstanceRow => v !== undefined);
  const planned = chosen.filter((v) => v.planSummary?.status === 'planned');
  if (planned.length === 0) {
    if (chosen.length === 1 && chosen[0]) {
      const v = chosen[0];
      const why = v.planSummary ? (v.planSummary.reason ?? v.planSummary.status) : 'no plan (not traced)';
      return { notice: `nothing to repair for ${v.uuid}: ${why}` };
    }
    return {
      notice: `nothing to repair: none of the ${plural(chosen.length, 'chosen instance')} has a planned repair`,
    };
  }
  const n = planned.length;
  const cells = [...new Set(planned.map((v) => databaseLabel('cell', v).replace(/^cell /, '')))];
  const summary = [
    `Repair ${plural(n, 'instance')} (${cells.length === 1 ? 'cell' : 'cells'}: ${cells.join(', ')}):`,
    ...planned.slice(0, 5).map((v) => `  ${v.uuid}${v.displayName ? `  ${v.displayName}` : ''}`),
    ...(n > 5 ? [`  … and ${n - 5} more`] : []),
    'Writes, each row compared against its old value first:',
    ...writesSummary(planned).map((s) => `  ${s}`),
  ];
  const left = chosen.length - n;
  if (left > 0) summary.push(`${plural(left, 'chosen instance')} without a planned repair will be left alone.`);
  summary.push('A journal is written and synced before each commit; `u` undoes it.');
  return { request: { action: 'apply', uuids: planned.map((v) => v.uuid), phrase: `apply ${n}`, summary } };
}

export function undoRequest(lastJournal: { path: string; uuids: string[] } | null): RequestOrNotice {
  if (!lastJournal) {
    return { notice: 'nothing to undo in this session; for an older repair run `nova-doctor undo --journal FILE`' };
  }
  const n = lastJournal.uuids.length;
  return {
    request: {
      action: 'undo',
      journalPath: lastJournal.path,
      uuids: lastJournal.uuids,
      phrase: `undo ${n}`,
      summary: [
        `Restore ${plural(n, 'instance')} from the journal ${lastJournal.path}:`,
        ...lastJournal.uuids.slice(0, 5).map((u) => `  ${u}`),
        ...(n > 5 ? [`  … and ${n - 5} more`] : []),
        'Rows changed since the repair are left alone and reported as conflicts.',
      ],
    },
  };
}
