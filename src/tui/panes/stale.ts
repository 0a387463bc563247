// The database's side: every stale value, and exactly where it lives.
import type { InstanceView } from '../../doctor/types.js';
import type { StaleValue } from '../../nova/snapshot.js';
import { plural } from '../format.js';
import { blank, type Line, line, seg } from '../lines.js';
import { NEEDS_DB, type PaneContext, READING } from './context.js';

/** 'nova_api' or 'cell cell1 (mysql+pymysql://nova:***@db/nova_cell1)'. */
function databaseOf(stale: StaleValue, view: InstanceView, ctx: PaneContext): string {
  if (stale.database === 'api') return 'nova_api';
  const cell = view.diagnosis?.cell ?? view.snapshot?.cell ?? null;
  const status = cell ? ctx.cells.find((c) => c.uuid === cell.uuid) : undefined;
  const name = cell?.name ?? view.cellName ?? cell?.uuid ?? 'unknown cell';
  return status ? `cell ${name} (${status.maskedUrl})` : `cell ${name}`;
}

/** The column or key, and for the spec the JSON Pointer inside it. */
export function locationOf(stale: StaleValue): Line {
  const row = `row ${stale.rowId}`;
  switch (stale.table) {
    case 'request_specs':
      return line(`request_specs · ${row} · column spec · JSON Pointer `, seg(stale.pointer, { color: 'cyan' }));
    case 'instance_system_metadata':
      return line(`instance_system_metadata · ${row} · key `, seg(stale.key, { color: 'cyan' }));
    case 'instances':
    case 'block_device_mapping':
      return line(`${stale.table} · ${row} · column `, seg(stale.column, { color: 'cyan' }));
  }
}

/** What to call a value that feeds no image property: its key or column. */
function labelOf(stale: StaleValue): string {
  return stale.table === 'instance_system_metadata' ? stale.key : `${stale.table}.${stale.column}`;
}

export function staleLines(view: InstanceView, ctx: PaneContext): Line[] {
  if (!ctx.hasDb) return [line(seg(NEEDS_DB, { color: 'yellow' }))];
  const diagnosis = view.diagnosis;
  const problems = [...(diagnosis?.problems ?? []), ...(view.snapshot?.problems ?? [])];
  const out: Line[] = [];
  if (!diagnosis && ctx.reading) {
    out.push(line(seg(READING, { dim: true })));
  } else if (!diagnosis) {
    out.push(line(seg('Not traced yet: no database rows read for this instance.', { dim: true })));
  } else {
    out.push(
      line('Health ', seg(diagnosis.health, { bold: true }), ` · ${plural(diagnosis.stale.length, 'stale value')}`),
    );
    for (const stale of diagnosis.stale) {
      out.push(
        blank,
        line(
          seg(stale.property ?? labelOf(stale), { color: 'yellow' }),
          ' = ',
          seg(`'${stale.value}'`, { color: 'red' }),
          ...(stale.becomes === undefined
            ? []
            : [' → ', seg(stale.becomes === null ? 'removed' : `'${stale.becomes}'`, { color: 'green' })]),
          '  ',
          stale.reason,
        ),
        line('  ', seg(databaseOf(stale, view, ctx), { bold: true }), ' · ', ...locationOf(stale)),
      );
    }
    if (diagnosis.narrowing.length > 0) {
      out.push(blank, line(seg('Set on purpose, left as set', { bold: true })));
      for (const n of diagnosis.narrowing) {
        out.push(
          line('  ', seg(n.property ?? labelOf(n), { color: 'yellow' }), ' = ', seg(`'${n.value}'`), '  ', n.reason),
          line('    ', seg(databaseOf(n, view, ctx), { dim: true }), ' · ', ...locationOf(n)),
        );
      }
    }
    // An architecture some hosts lack, why a repair leaves the instance alone (then nothing above has a →).
    if (diagnosis.notes.length > 0) {
      out.push(blank, line(seg('Notes', { bold: true })));
      for (const note of diagnosis.notes) out.push(line('  ', note));
    }
  }
  if (problems.length > 0) {
    out.push(blank, line(seg('Problems', { bold: true, color: 'red' })));
    for (const p of problems) out.push(line('  ', p));
  }
  return out;
}
