// What replaces the main screen for a moment: help, the typed confirmation, a run and its results.
import { Box, Text } from 'ink';
import type { Line } from '../lines.js';
import { safe } from '../sanitize.js';
import type { ConfirmRequest } from '../screen.js';
import type { SessionState } from '../state.js';
import { LinesView, scrollLabel } from './LinesView.js';

/** Rows above a scrollable overlay's body: its title. */
export const OVERLAY_CHROME_ROWS = 1;

export function ScrollOverlay({
  title,
  lines,
  scroll,
  height,
}: {
  title: string;
  lines: readonly Line[];
  scroll: number;
  height: number;
}) {
  const body = Math.max(1, height - OVERLAY_CHROME_ROWS);
  const label = scrollLabel(lines.length, scroll, body);
  return (
    <Box flexDirection="column" height={height}>
      <Text wrap="truncate-end">
        <Text bold color="cyan">
          {title}
        </Text>
        {label ? <Text dimColor>{`   ${label}`}</Text> : null}
      </Text>
      <LinesView lines={lines} offset={scroll} height={body} />
    </Box>
  );
}

export function ConfirmDialog({
  request,
  typed,
  rejected,
  height,
}: {
  request: ConfirmRequest;
  typed: string;
  rejected: boolean;
  height: number;
}) {
  // Border (2) + blank + prompt + input + verdict: what is left is for the summary.
  const room = Math.max(1, height - 6);
  const summary = request.summary.slice(0, room);
  const danger = request.action === 'apply' ? 'red' : 'yellow';
  return (
    <Box
      flexDirection="column"
      borderStyle="round"
      borderColor={danger}
      paddingX={1}
      height={Math.min(height, summary.length + 6)}
    >
      {summary.map((s, i) => (
        <Text key={i} wrap="truncate-end">
          {safe(s)}
        </Text>
      ))}
      <Text> </Text>
      <Text wrap="truncate-end">
        Type{' '}
        <Text bold color={danger}>
          {request.phrase}
        </Text>{' '}
        to confirm, or press Esc to cancel:
      </Text>
      <Text wrap="truncate-end">
        <Text color="cyan">{'> '}</Text>
        {safe(typed)}
        <Text inverse> </Text>
      </Text>
      <Text wrap="truncate-end" color="red">
        {rejected ? `That is not "${request.phrase}"; nothing was done.` : ' '}
      </Text>
    </Box>
  );
}

export function RunningPanel({
  request,
  session,
  height,
}: {
  request: ConfirmRequest;
  session: SessionState;
  height: number;
}) {
  const verb = request.action === 'apply' ? 'Repairing' : 'Undoing';
  const progress = session.applying;
  // Title, progress and a possible '… more' row around the per-instance rows.
  const rows = request.uuids.slice(0, Math.max(1, height - 3));
  return (
    <Box flexDirection="column" height={height}>
      <Text color="cyan" wrap="truncate-end">
        {verb} {request.uuids.length} instance{request.uuids.length === 1 ? '' : 's'}… (Ctrl-C quits; the doctor keeps
        each instance's transaction whole)
      </Text>
      <Text wrap="truncate-end" dimColor={progress === null}>
        {progress ? `${progress.done} of ${progress.total} done` : 'starting…'}
      </Text>
      {rows.map((uuid) => {
        const view = session.views.get(uuid);
        const state = view?.lastResult?.status ?? (progress?.last === uuid ? 'done' : 'waiting');
        return (
          <Text key={uuid} wrap="truncate-end">
            {'  '}
            {safe(uuid)} <Text color={state === 'waiting' ? 'gray' : 'cyan'}>{state}</Text>
          </Text>
        );
      })}
      {request.uuids.length > rows.length ? (
        <Text dimColor> … and {request.uuids.length - rows.length} more</Text>
      ) : null}
    </Box>
  );
}
