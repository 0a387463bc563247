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

export function summarise(counts: Record<string, number>): string {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k}=${n}`)
    .join(' ');
}
