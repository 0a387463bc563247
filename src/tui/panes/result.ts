// What a repair or undo did, per instance, and where its journal is.
import type { UndoResult } from '../../repair/types.js';
import { plural } from '../format.js';
import { blank, type Color, type Line, line, seg } from '../lines.js';
import type { RunReport } from '../screen.js';
import { conflictLines, resultLine } from './plan.js';

const UNDO_COLORS: Record<UndoResult['status'], Color> = {
  restored: 'green',
  'dry-run': 'cyan',
  conflict: 'red',
  'nothing-to-do': 'gray',
  failed: 'red',
};

function undoLines(r: UndoResult): Line[] {
  const out: Line[] = [
    line(
      '  ',
      r.uuid,
      '  ',
      seg(r.status, { color: UNDO_COLORS[r.status], bold: true }),
      r.reason ? `  ${r.reason}` : '',
      r.restored.length > 0 ? `  (${plural(r.restored.length, 'row')} restored)` : '',
    ),
  ];
  out.push(...conflictLines(r.conflicts));
  return out;
}

function errorNotes(report: RunReport): Line[] {
  if (report.errors.length === 0) return [];
  const out: Line[] = [
    line(seg(`${report.action === 'apply' ? 'Repair' : 'Undo'} reported errors:`, { color: 'red', bold: true })),
  ];
  for (const e of report.errors) {
    out.push(line('  ', seg(`${e.where}: `, { color: 'red' }), e.message));
    if (e.hint) out.push(line('    ', seg('try: ', { color: 'yellow' }), e.hint));
  }
  out.push(blank);
  return out;
}

/** "Repaired 1 of 2 instances", saying so when the doctor answered for fewer than were asked. */
function tally(verb: string, done: number, answered: number, requested: number): Line {
  const missing = requested - answered;
  return line(
    seg(`${verb} ${done} of ${plural(requested, 'instance')}`, { bold: true }),
    missing > 0
      ? seg(`; ${missing} not reported${answered === 0 ? ' (nothing was changed)' : ''}`, { color: 'yellow' })
      : '',
  );
}

export function resultLines(report: RunReport): Line[] {
  const out: Line[] = [...errorNotes(report)];
  if (report.action === 'apply') {
    const repaired = report.results.filter((r) => r.status === 'repaired').length;
    out.push(tally('Repaired', repaired, report.results.length, report.requested));
    for (const r of report.results)
      out.push(line('  ', r.uuid, '  ', ...resultLine(r)), ...conflictLines(r.conflicts ?? []));
    out.push(blank, line('Journal: ', seg(report.journalPath ?? 'none written', { color: 'cyan' })));
    if (report.undoCommand && repaired > 0)
      out.push(line(seg('Press u to undo it now, or later: ', { dim: true }), report.undoCommand));
  } else {
    const restored = report.results.filter((r) => r.status === 'restored').length;
    out.push(tally('Restored', restored, report.results.length, report.requested));
    for (const r of report.results) out.push(...undoLines(r));
    out.push(blank, line('Journal: ', seg(report.journalPath, { color: 'cyan' })));
  }
  return out;
}
