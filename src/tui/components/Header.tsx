// Three rows: what session this is, what it is doing, and how many instances stand where.
import { basename } from 'node:path';
import { Box, Text } from 'ink';
import { memo, useMemo } from 'react';
import { unattributedGroups } from '../../doctor/report.js';
import type { DoctorConfig, InstanceStatus } from '../../doctor/types.js';
import { formatBytes, formatDuration, formatRate, plural } from '../format.js';
import { safe } from '../sanitize.js';
import { type SessionState, scanFigures, statusCounts } from '../state.js';
import { STATUS_COLORS } from './status.js';

export function modeLine(config: DoctorConfig): string {
  const parts: string[] = [];
  if (config.db === null) parts.push('log-only: no database (pass --config or --api-db to trace and repair)');
  else if (config.all && config.logs.length === 0) parts.push('database sweep (--all), no logs');
  else if (config.all) parts.push('logs + database sweep (--all)');
  else parts.push('logs + database');
  if (config.readOnly) parts.push('read-only');
  if (config.hvType) parts.push(`target img_hv_type ${config.hvType}`);
  return parts.join(' · ');
}

function ScanLine({ session }: { session: SessionState }) {
  if (!session.scan) return <Text color="cyan">starting…</Text>;
  const f = scanFigures(session.scan);
  const size =
    f.bytesTotal === null ? formatBytes(f.bytesDone) : `${formatBytes(f.bytesDone)} / ${formatBytes(f.bytesTotal)}`;
  const pct = f.fraction === null ? '' : ` (${(f.fraction * 100).toFixed(1)}%)`;
  return (
    <Text wrap="truncate-end">
      <Text color="cyan">scanning</Text> file {Math.min(f.filesDone + 1, f.filesTotal)}/{f.filesTotal} {size}
      {pct} {formatRate(f.bytesPerSecond)} ETA {formatDuration(f.etaSeconds)}{' '}
      <Text dimColor>{safe(basename(f.file))}</Text>
    </Text>
  );
}

function PhaseLine({ session }: { session: SessionState }) {
  const { phase, trace, scanReport, cells, dbWarnings } = session;
  if (phase === 'starting' || phase === 'scanning') return <ScanLine session={session} />;
  const parts: string[] = [];
  if (scanReport) {
    const bytes = scanReport.files.reduce((n, f) => n + f.bytes, 0);
    const lines = scanReport.files.reduce((n, f) => n + f.lines, 0);
    parts.push(
      `scanned ${plural(scanReport.files.length, 'file')} (${formatBytes(bytes)}, ${lines.toLocaleString('en')} lines)`,
    );
    const untied = unattributedGroups(scanReport).untied.length;
    if (untied > 0) parts.push(`${plural(untied, 'rejection')} not tied to an instance`);
    if (scanReport.warnings.length > 0) parts.push(plural(scanReport.warnings.length, 'scan warning'));
  }
  if (cells.length > 0) {
    const reachable = cells.filter((c) => c.reachable).length;
    parts.push(`cells ${reachable}/${cells.length} reachable`);
  }
  if (dbWarnings.length > 0) parts.push(plural(dbWarnings.length, 'database warning'));
  const label =
    phase === 'tracing'
      ? `tracing ${trace ? `${trace.done}/${trace.total ?? '?'}` : '…'}`
      : phase === 'failed'
        ? 'stopped'
        : 'ready';
  const color = phase === 'failed' ? 'red' : phase === 'tracing' ? 'cyan' : 'green';
  return (
    <Text wrap="truncate-end">
      <Text color={color}>{label}</Text>
      {parts.length > 0 ? `  ${parts.join(' · ')}` : ''}
    </Text>
  );
}

const ORDER: InstanceStatus[] = [
  'stale',
  'half-fixed',
  'unreadable',
  'untraced',
  'skipped',
  'ok',
  'repaired',
  'deleted',
];

function CountsLine({ session }: { session: SessionState }) {
  // biome-ignore lint/correctness/useExhaustiveDependencies: the revision stands for the views
  const counts = useMemo(() => statusCounts(session.views), [session.revision]);
  const total = session.views.size;
  return (
    <Text wrap="truncate-end">
      <Text bold>{plural(total, 'instance')}</Text>
      {ORDER.filter((s) => counts.has(s)).map((s) => (
        <Text key={s}>
          {'  '}
          <Text color={STATUS_COLORS[s]}>
            {counts.get(s)} {s}
          </Text>
        </Text>
      ))}
      {session.errors.length > 0 ? <Text color="red">{`  ${plural(session.errors.length, 'error')}`}</Text> : null}
    </Text>
  );
}

/** Memoised: a key press does not change the session, so the header is not rebuilt for it. */
export const Header = memo(function Header({ config, session }: { config: DoctorConfig; session: SessionState }) {
  return (
    <Box flexDirection="column" height={3}>
      <Text wrap="truncate-end">
        <Text bold color="cyan">
          nova-doctor
        </Text>
        {`  ${modeLine(config)}`}
      </Text>
      <PhaseLine session={session} />
      <CountsLine session={session} />
    </Box>
  );
});
