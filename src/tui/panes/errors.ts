// Everything that went wrong or could not be placed, and how the scan and the cells went.
import type { CellStatus } from '../../db/types.js';
import { NOT_DECISIVE_TITLE, UNTIED_TITLE, unattributedGroups } from '../../doctor/report.js';
import type { ScanReport, UnattributedRejection } from '../../logscan/types.js';
import { plural } from '../format.js';
import { blank, type Line, line, seg } from '../lines.js';
import type { ErrorNote } from '../state.js';

function cellLines(cells: readonly CellStatus[]): Line[] {
  if (cells.length === 0) return [];
  const out: Line[] = [blank, line(seg(`Cells (${cells.length})`, { bold: true }))];
  for (const c of cells) {
    const state = c.reachable ? seg('reachable', { color: 'green' }) : seg('unreachable', { color: 'red' });
    const notes = [c.isCell0 ? 'cell0' : '', c.disabled ? 'disabled' : ''].filter(Boolean).join(', ');
    out.push(
      line(
        '  ',
        seg(c.name ?? c.uuid, { bold: true }),
        '  ',
        state,
        notes ? `  (${notes})` : '',
        seg(`  ${c.maskedUrl}`, { dim: true }),
      ),
    );
    if (c.error) out.push(line('    ', seg(c.error, { color: 'red' })));
  }
  return out;
}

function scanLines(report: ScanReport): Line[] {
  const out: Line[] = [];
  if (report.searched && report.searched.length > 0) {
    out.push(blank, line(seg('No logs were named; searched', { bold: true })));
    for (const p of report.searched) out.push(line('  ', p));
  }
  if (report.triage && report.triage.byFilter.length > 0) {
    out.push(blank, line(seg('Failed scheduling attempts by the filter that removed the last host', { bold: true })));
    for (const f of report.triage.byFilter) {
      out.push(
        line(
          '  ',
          seg(f.filter.padEnd(32), { color: f.filter === 'ImagePropertiesFilter' ? 'red' : undefined }),
          `${plural(f.attempts, 'attempt')}, ${plural(f.instances, 'instance')}`,
        ),
      );
    }
  }
  out.push(blank, line(seg(`Scan warnings (${report.warnings.length})`, { bold: true })));
  for (const w of report.warnings) {
    const at =
      w.line !== undefined ? `${w.file}:${w.line}` : w.offset !== undefined ? `${w.file} at byte ${w.offset}` : w.file;
    out.push(line('  ', seg(at, { dim: true }), '  ', w.message));
  }
  const groups = unattributedGroups(report);
  const rejectionLine = (u: UnattributedRejection, withInstance: boolean) => {
    const props = u.mismatches.map((m) => `${m.property}=${m.value}`).join(' ');
    const first = u.rejections[0];
    const hosts = u.hostsRejected?.length ?? u.rejectionCount ?? u.rejections.length;
    return line(
      '  ',
      withInstance ? `${u.knownInstance}  ` : '',
      seg(u.requestId ?? 'no request id', { color: 'magenta' }),
      `  ${props}  ${plural(hosts, 'host')} rejected`,
      first ? seg(`  ${first.location.file}:${first.location.line}`, { dim: true }) : '',
    );
  };
  out.push(blank, line(seg(`${groups.untied.length} ${UNTIED_TITLE}`, { bold: true })));
  for (const u of groups.untied) out.push(rejectionLine(u, false));
  if (groups.notDecisive.length > 0) {
    out.push(blank, line(seg(`${groups.notDecisive.length} ${NOT_DECISIVE_TITLE}`, { bold: true })));
    for (const u of groups.notDecisive) out.push(rejectionLine(u, true));
  }
  return out;
}

export function errorsLines(
  errors: readonly ErrorNote[],
  report: ScanReport | null,
  cells: readonly CellStatus[] = [],
  dbWarnings: readonly string[] = [],
): Line[] {
  const out: Line[] = [line(seg(`Errors (${errors.length})`, { bold: true }))];
  if (errors.length === 0) out.push(line(seg('  none', { dim: true })));
  for (const e of errors) {
    out.push(
      line(
        '  ',
        seg(new Date(e.at).toISOString().slice(11, 19), { dim: true }),
        '  ',
        seg(`${e.where}: `, { color: 'red' }),
        e.message,
      ),
    );
    if (e.hint) out.push(line('    ', seg('try: ', { color: 'yellow' }), e.hint));
  }
  out.push(...cellLines(cells));
  if (dbWarnings.length > 0) {
    out.push(blank, line(seg(`Database warnings (${dbWarnings.length})`, { bold: true })));
    for (const w of dbWarnings) out.push(line('  ', seg('warning ', { color: 'yellow' }), w));
  }
  if (report) out.push(...scanLines(report));
  return out;
}
