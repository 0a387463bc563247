// Trace results for people: per instance, every stale value and where it lives.
import type { CellStatus } from '../../db/types.js';
import type { TracedInstance } from '../../doctor/trace.js';
import type { StaleValue } from '../../nova/snapshot.js';
import { terminalSafeLine as safe } from '../../terminalText.js';

export function renderCells(cells: CellStatus[]): string {
  const lines = cells.map((c) => {
    const state = c.reachable
      ? c.disabled
        ? 'disabled'
        : c.isCell0
          ? 'cell0'
          : 'ok'
      : c.disabled || c.isCell0
        ? 'unreachable (not traced)'
        : 'UNREACHABLE (its instances were skipped)';
    return `  ${safe(c.name ?? c.uuid).padEnd(12)} ${safe(c.maskedUrl)}  ${safe(state)}`;
  });
  return `Cells:\n${lines.join('\n')}\n`;
}

export function whereStale(s: StaleValue): string {
  switch (s.table) {
    case 'request_specs':
      return `nova_api.request_specs.spec ${s.pointer}`;
    case 'instance_system_metadata':
      return `instance_system_metadata[${s.key}] (row ${s.rowId})`;
    case 'instances':
      return `instances.${s.column}`;
    case 'block_device_mapping':
      return `block_device_mapping.device_name (row ${s.rowId})`;
  }
}

/** ' → "kvm"' (or ' → removed'): what a repair writes instead; nothing when it cannot write anything. */
function becomes(s: StaleValue): string {
  if (s.becomes === undefined) return '';
  return s.becomes === null ? ' → removed' : ` → ${JSON.stringify(safe(s.becomes))}`;
}

export function renderTraced(t: TracedInstance): string {
  const d = t.diagnosis;
  const name = t.snapshot.instance?.displayName;
  const head = `${safe(t.uuid)}  ${d.health.toUpperCase().padEnd(10)} ${safe(d.cell?.name ?? '-')}${name ? `  "${safe(name)}"` : ''}`;
  const lines = [head];
  for (const s of d.stale)
    lines.push(`    ${whereStale(s).padEnd(92)} ${JSON.stringify(safe(s.value))}${becomes(s)}  ${safe(s.reason)}`);
  for (const s of d.narrowing)
    lines.push(`    ~ ${whereStale(s).padEnd(90)} ${JSON.stringify(safe(s.value))}  ${safe(s.reason)}`);
  for (const n of d.notes) lines.push(`    ~ ${safe(n)}`);
  for (const p of d.problems) lines.push(`    ! ${safe(p)}`);
  return `${lines.join('\n')}\n`;
}
