// Repair and undo results for people.
import type { ApplyResult, RowChange, UndoResult } from '../../repair/types.js';
import { terminalSafeLine as safe } from '../../terminalText.js';

/** A value as a JSON literal, escaped for the terminal: JSON.stringify leaves C1, bidi and tag characters raw. */
function quote(value: unknown): string {
  return safe(JSON.stringify(value) ?? 'undefined');
}

function change(c: RowChange): string {
  if (c.table === 'request_specs') {
    return `api  request_specs.spec (row ${c.rowId}): ${c.oldValue?.length ?? 0} bytes -> ${c.newValue?.length ?? 0} bytes`;
  }
  const where = c.key ? `${c.table}[${c.key}]` : `${c.table}.${c.column}`;
  const to = c.action === 'delete' ? '(row deleted)' : quote(c.newValue);
  return `${safe(c.database).padEnd(4)} ${safe(where)} (row ${safe(String(c.rowId))}): ${quote(c.oldValue)} -> ${to}`;
}

export function renderApplyResult(r: ApplyResult): string {
  const lines = [`${safe(r.uuid)}  ${safe(r.status)}${r.reason ? `: ${safe(r.reason)}` : ''}`];
  const p = r.plan;
  if (p.status === 'planned') {
    for (const op of p.requestSpecPatch) {
      if (op.op === 'test') continue;
      const value = 'value' in op ? ` ${quote(op.value)}` : '';
      lines.push(`    api  request_specs.spec ${op.op} ${safe(op.path)}${value}`);
    }
    for (const c of p.rowChanges) if (c.table !== 'request_specs') lines.push(`    ${change(c)}`);
    for (const w of p.warnings) lines.push(`    warning: ${safe(w)}`);
  }
  for (const c of r.conflicts ?? []) lines.push(`    conflict: ${change(c.change)}; now ${quote(c.currentValue)}`);
  return `${lines.join('\n')}\n`;
}

export function renderUndoResult(r: UndoResult): string {
  const lines = [`${safe(r.uuid)}  ${r.status}${r.reason ? `: ${safe(r.reason)}` : ''}`];
  for (const c of r.restored) lines.push(`    restore ${change(c)}`);
  for (const c of r.conflicts)
    lines.push(`    left alone (changed since): ${change(c.change)}; now ${quote(c.currentValue)}`);
  return `${lines.join('\n')}\n`;
}

const APPLY_LABELS: Record<ApplyResult['status'], string> = {
  repaired: 'repaired',
  'dry-run': 'to repair',
  skipped: 'skipped',
  // A row changed since the plan (the compare-and-swap failed) or locked past the bounded wait (engine.ts).
  conflict: 'in conflict (changed or locked since planned)',
  failed: 'failed',
  'nothing-to-do': 'with nothing to do',
};

const UNDO_LABELS: Record<UndoResult['status'], string> = {
  restored: 'restored',
  'dry-run': 'to restore',
  conflict: 'left alone (changed since)',
  failed: 'failed',
  'nothing-to-do': 'with nothing to undo',
};

function tally<S extends string>(statuses: readonly S[], labels: Record<S, string>): string {
  const counts = new Map<S, number>();
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n} ${labels[s]}`).join(', ');
}

/**
 * "Dry run, 21 instances: 13 to repair, 6 skipped, 2 with nothing to do": what each number counts, from the counts
 * per status (a repair that streams its results keeps only those).
 */
export function repairSummaryOf(counts: ReadonlyMap<ApplyResult['status'], number>, applied: boolean): string {
  const n = [...counts.values()].reduce((a, b) => a + b, 0);
  const head = `${applied ? 'Applied' : 'Dry run'}, ${n} instance(s)`;
  return n === 0
    ? `${head}: nothing to do`
    : `${head}: ${[...counts].map(([s, k]) => `${k} ${APPLY_LABELS[s]}`).join(', ')}`;
}

export function undoSummary(results: readonly UndoResult[], applied: boolean): string {
  const head = `${applied ? 'Undone' : 'Dry run'}, ${results.length} instance(s)`;
  return results.length === 0
    ? `${head}: nothing to do`
    : `${head}: ${tally(
        results.map((r) => r.status),
        UNDO_LABELS,
      )}`;
}
