// The log's side of the story: which requests failed, when, on which hosts, and where the lines are.
import type { InstanceView } from '../../doctor/types.js';
import type { LogLocation, Rejection } from '../../logscan/types.js';
import { plural } from '../format.js';
import { blank, type Line, line, seg } from '../lines.js';
import { type PaneContext, passing, tuple } from './context.js';

export function where(location: LogLocation): string {
  return `${location.file}:${location.line}`;
}

function rejectionLines(r: Rejection): Line[] {
  const host = r.host ? `${r.host}${r.node && r.node !== r.host ? ` (node ${r.node})` : ''}` : 'host not logged';
  const requested = Object.entries(r.requested)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const supports =
    r.supportedInstances === null ? 'no supported_instances reported' : r.supportedInstances.map(tuple).join(' ');
  return [
    line(
      '  ',
      seg(r.time, { color: 'cyan' }),
      '  ',
      seg(r.requestId ?? 'no request id', { color: 'magenta' }),
      '  ',
      seg(host, { bold: true }),
      '  ',
      seg(where(r.location), { dim: true }),
    ),
    line(
      '      requested ',
      seg(requested || '-', { color: 'red' }),
      '  host supports ',
      supports,
      r.partial ? seg('  (line partly unreadable: a best guess)', { color: 'yellow' }) : '',
    ),
  ];
}

/** Rejections per hour, as bars: when the failures happened, at a glance (lnav's histogram). */
export function hourlyLines(rejections: readonly Rejection[], width = 40): Line[] {
  const perHour = new Map<string, number>();
  for (const r of rejections) {
    const hour = `${r.time.slice(0, 13)}:00`;
    perHour.set(hour, (perHour.get(hour) ?? 0) + 1);
  }
  const most = Math.max(1, ...perHour.values());
  return [...perHour.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([hour, n]) =>
      line(
        '  ',
        seg(hour, { color: 'cyan' }),
        '  ',
        seg('█'.repeat(Math.max(1, Math.round((n / most) * width))), { color: 'red' }),
        ` ${n}`,
      ),
    );
}

export function evidenceLines(view: InstanceView, ctx: PaneContext): Line[] {
  const incident = view.incident;
  if (!incident) {
    return [
      line(
        seg(
          ctx.sweep
            ? 'No log evidence: found by the database sweep (--all), before any resize failed.'
            : 'No log evidence for this instance.',
          { dim: true },
        ),
      ),
    ];
  }
  const out: Line[] = [
    line(
      seg(plural(incident.rejectionCount ?? incident.rejections.length, 'rejection'), { bold: true }),
      ` in ${plural(incident.requestIds.length, 'request')}`,
      incident.attempts !== undefined ? ` (${plural(incident.attempts, 'failed scheduling attempt')})` : '',
      ', first ',
      seg(incident.firstSeen, { color: 'cyan' }),
      ', last ',
      seg(incident.lastSeen, { color: 'cyan' }),
    ),
    blank,
    line(seg('Why the scheduler said no', { bold: true })),
  ];
  for (const m of incident.mismatches) {
    out.push(
      line(
        '  ',
        seg(m.property, { color: 'yellow' }),
        ' = ',
        seg(`'${m.value}'`, { color: 'red' }),
        '  would pass: ',
        seg(passing(incident.passingValues[m.property] ?? []), { color: 'green' }),
      ),
    );
  }
  const sampled = (incident.rejectionCount ?? incident.rejections.length) > incident.rejections.length;
  out.push(
    blank,
    line(
      seg('When', { bold: true }),
      seg(` (rejections per hour${sampled ? `, of the first ${incident.rejections.length}` : ''})`, { dim: true }),
    ),
    ...hourlyLines(incident.rejections),
  );
  out.push(blank, line(seg('Requests', { bold: true })));
  for (const id of incident.requestIds) out.push(line('  ', seg(id, { color: 'magenta' })));
  out.push(blank, line(seg('Hosts rejected', { bold: true }), `  ${incident.hostsRejected.join(', ') || '-'}`));
  out.push(
    blank,
    line(
      seg('Rejections', { bold: true }),
      sampled ? seg(` (the first ${incident.rejections.length} of ${incident.rejectionCount})`, { dim: true }) : '',
    ),
  );
  for (const r of incident.rejections) out.push(...rejectionLines(r));
  out.push(blank, line(seg('Log lines', { bold: true })));
  for (const loc of incident.evidence) out.push(line('  ', seg(where(loc), { dim: true })));
  return out;
}
