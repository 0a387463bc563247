// The scan report for people. Everything from the log goes through terminalSafe.
import { NOT_DECISIVE_TITLE, UNTIED_TITLE, unattributedGroups } from '../../doctor/report.js';
import type { Incident, ScanReport } from '../../logscan/types.js';
import { terminalSafeLine as safe } from '../../terminalText.js';
import { formatBytes } from '../../units.js';

function passing(incident: Incident): string {
  const parts = Object.entries(incident.passingValues).map(([prop, values]) => {
    const vals = values.filter((v): v is string => v !== null).map(safe);
    const remove = values.includes(null);
    const list = vals.length ? `{${vals.join(', ')}}` : '';
    return `${prop} ${[list, remove ? 'removed' : ''].filter(Boolean).join(' or ')}`;
  });
  return parts.join('; ');
}

export function renderScanText(report: ScanReport): string {
  const out: string[] = [];
  const total = report.files.reduce((a, f) => a + f.bytes, 0);
  const lines = report.files.reduce((a, f) => a + f.lines, 0);
  if (report.searched) out.push(`No log named; searched ${report.searched.map(safe).join(', ')}.`);
  out.push(`Scanned ${report.files.length} file(s), ${formatBytes(total)}, ${lines} lines.`);
  out.push('');
  if (report.instances.length === 0) {
    out.push('No instance was rejected by ImagePropertiesFilter.');
  } else {
    out.push(
      `${report.instances.length} instance(s) rejected by ImagePropertiesFilter because of their image properties:`,
    );
    for (const i of report.instances) {
      const props = i.mismatches.map((m) => `${safe(m.property)}='${safe(m.value)}'`).join(' ');
      const attempts = i.attempts ?? i.requestIds.length;
      out.push('');
      out.push(`  ${safe(i.uuid)}  ${props}`);
      out.push(
        `      ${attempts} failed attempt(s), ${i.requestIds.length} request(s), ${i.hostsRejected.length} host(s) rejected, ${safe(i.firstSeen)} .. ${safe(i.lastSeen)}`,
      );
      const pass = passing(i);
      if (pass) out.push(`      would pass: ${pass}`);
      const ev = i.evidence[0];
      if (ev)
        out.push(
          `      evidence: ${safe(ev.file)}:${ev.line}${i.evidence.length > 1 ? ` (+${i.evidence.length - 1} more)` : ''}`,
        );
    }
  }
  const groups = unattributedGroups(report);
  if (groups.notDecisive.length > 0) {
    out.push('');
    out.push(`${groups.notDecisive.length} ${NOT_DECISIVE_TITLE}:`);
    for (const u of groups.notDecisive) {
      const props = u.mismatches.map((m) => `${safe(m.property)}='${safe(m.value)}'`).join(' ');
      out.push(`  ${safe(u.knownInstance ?? '')}  ${safe(u.requestId ?? '(no request id)')}  ${props}`);
    }
  }
  if (groups.untied.length > 0) {
    out.push('');
    out.push(`${groups.untied.length} ${UNTIED_TITLE}:`);
    for (const u of groups.untied) {
      const props = u.mismatches.map((m) => `${safe(m.property)}='${safe(m.value)}'`).join(' ');
      out.push(`  ${safe(u.requestId ?? '(no request id)')}  ${props}`);
    }
  }
  const triage = report.triage?.byFilter ?? [];
  if (triage.length > 0) {
    out.push('');
    out.push('Why scheduling failed (the filter that removed the last host):');
    for (const t of triage)
      out.push(`  ${safe(t.filter).padEnd(34)} ${t.attempts} attempt(s), ${t.instances} instance(s)`);
  }
  if (report.warnings.length > 0) {
    out.push('');
    for (const w of report.warnings) {
      const where = [w.file, w.line, w.offset !== undefined && w.line === undefined ? `offset ${w.offset}` : undefined]
        .filter((x) => x !== undefined)
        .join(':');
      out.push(`warning: ${safe(where)}: ${safe(w.message)}`);
    }
  }
  if (report.instances.length > 0) {
    out.push('');
    out.push('Next: nova-doctor trace --config /etc/nova/nova.conf LOG...   (shows the stale values in the databases)');
  }
  return `${out.join('\n')}\n`;
}
