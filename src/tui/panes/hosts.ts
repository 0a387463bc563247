// What the hosts support, as the cell's compute_nodes and the scheduler's log lines say.
import type { InstanceView } from '../../doctor/types.js';
import { formatHypervisorVersion } from '../format.js';
import { blank, type Line, line, seg } from '../lines.js';
import { type PaneContext, passing, READING, tuple } from './context.js';

export function hostsLines(view: InstanceView, ctx: PaneContext): Line[] {
  const out: Line[] = [];
  const hosts = view.snapshot?.hosts ?? [];
  out.push(line(seg("Compute nodes in the instance's cell", { bold: true })));
  if (!ctx.hasDb) out.push(line(seg('  not read: log-only mode (pass --config or --api-db)', { dim: true })));
  else if (hosts.length === 0) out.push(line(seg(ctx.reading ? `  ${READING}` : '  none read', { dim: true })));
  for (const h of hosts) {
    out.push(
      line(
        '  ',
        seg(h.host, { bold: true }),
        h.node !== h.host ? ` (node ${h.node})` : '',
        '  hypervisor ',
        formatHypervisorVersion(h.hypervisorVersion),
      ),
      line('    supports ', seg(h.supportedInstances.map(tuple).join(' ') || 'nothing', { color: 'green' })),
    );
  }

  const incident = view.incident;
  if (incident) {
    out.push(blank, line(seg('Hosts as the scheduler saw them (log)', { bold: true })));
    const seen = new Set<string>();
    for (const r of incident.rejections) {
      const key = `${r.host ?? ''}\n${r.node ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const supports =
        r.supportedInstances === null ? 'no supported_instances reported' : r.supportedInstances.map(tuple).join(' ');
      out.push(
        line(
          '  ',
          seg(r.host ?? 'host not logged', { bold: true }),
          '  hypervisor ',
          formatHypervisorVersion(r.hypervisorVersion),
        ),
        line('    supports ', seg(supports, { color: 'green' })),
      );
    }
    out.push(blank, line(seg('Values that would pass', { bold: true })));
    for (const [property, values] of Object.entries(incident.passingValues)) {
      out.push(line('  ', seg(property, { color: 'yellow' }), ': ', seg(passing(values), { color: 'green' })));
    }
  }
  return out;
}
