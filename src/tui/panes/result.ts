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

export function resultLines(report: RunReport): Line[] {
  const out: Line[] = [];
  if (report.error !== null) {
    out.push(
      line(
        seg(`${report.action === 'apply' ? 'Repair' : 'Undo'} failed: `, { color: 'red', bold: true }),
        report.error,
      ),
    );
    out.push(
      line(
        seg('Nothing was reported as changed; the rows are as they were unless the journal says otherwise.', {
          dim: true,
        }),
      ),
    );
  }
  if (report.action === 'apply') {
    const repaired = report.results.filter((r) => r.status === 'repaired').length;
    if (report.error === null)
      out.push(line(seg(`Repaired ${repaired} of ${plural(report.results.length, 'instance')}`, { bold: true })));
    for (const r of report.results)
      out.push(line('  ', r.uuid, '  ', ...resultLine(r)), ...conflictLines(r.conflicts ?? []));
    out.push(blank, line('Journal: ', seg(report.journalPath ?? 'none written', { color: 'cyan' })));
    if (report.journalPath && repaired > 0)
      out.push(
        line(
          seg('Press u to undo it, or later: ', { dim: true }),
          `nova-doctor undo --journal ${report.journalPath} --apply`,
        ),
      );
  } else {
    const restored = report.results.filter((r) => r.status === 'restored').length;
    if (report.error === null)
      out.push(line(seg(`Restored ${restored} of ${plural(report.results.length, 'instance')}`, { bold: true })));
    for (const r of report.results) out.push(...undoLines(r));
    out.push(blank, line('Journal: ', seg(report.journalPath, { color: 'cyan' })));
  }
  return out;
}
