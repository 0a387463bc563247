// What `a` and `u` would do, said before they do it: which instances, which databases and tables.
// Pure: reads the doctor's plans, decides nothing about nova.
import type { InstanceView } from '../doctor/types.js';
import { plural } from './format.js';
import type { ConfirmRequest } from './screen.js';

export type RequestOrNotice = { request: ConfirmRequest } | { notice: string };

/** 'nova_api' or 'cell <name>': how the confirmation names a database. */
export function databaseLabel(database: 'api' | 'cell', view: InstanceView): string {
  if (database === 'api') return 'nova_api';
  const name = view.plan?.cell?.name ?? view.cellName ?? view.plan?.cell?.uuid ?? 'unknown cell';
  return `cell ${name}`;
}

/** "nova_api: request_specs (3 rows)" per database the plans write to: rows, not the values changed in them. */
export function writesSummary(views: readonly InstanceView[]): string[] {
  const byDb = new Map<string, Map<string, Set<string>>>();
  const count = (db: string, table: string, row: string) => {
    const tables = byDb.get(db) ?? new Map<string, Set<string>>();
    const rows = tables.get(table) ?? new Set<string>();
    rows.add(row);
    tables.set(table, rows);
    byDb.set(db, tables);
  };
  for (const view of views) {
    const plan = view.plan;
    if (!plan) continue;
    let specRow = false;
    for (const change of plan.rowChanges) {
      if (change.table === 'request_specs') specRow = true;
      const db = databaseLabel(change.database, view);
      count(db, change.table, `${db}/${change.rowId}`);
    }
    if (!specRow && plan.requestSpecPatch.length > 0) count('nova_api', 'request_specs', `spec of ${view.uuid}`);
  }
  return [...byDb.entries()].map(
    ([db, tables]) =>
      `${db}: ${[...tables.entries()].map(([table, rows]) => `${table} (${plural(rows.size, 'row')})`).join(', ')}`,
  );
}

/**
 * The confirmation for repairing `uuids` (the marked instances, or the one under the cursor).
 * Only instances with a planned repair take part; the rest are named as left alone.
 */
export function applyRequest(uuids: readonly string[], views: ReadonlyMap<string, InstanceView>): RequestOrNotice {
  const chosen = uuids.map((u) => views.get(u)).filter((v): v is InstanceView => v !== undefined);
  const planned = chosen.filter((v) => v.plan?.status === 'planned');
  if (planned.length === 0) {
    if (chosen.length === 1 && chosen[0]) {
      const v = chosen[0];
      const why = v.plan ? (v.plan.reason ?? v.plan.status) : 'no plan (not traced)';
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
