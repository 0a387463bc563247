// One instance: a title, the pane tabs, errors that concern it, and the current pane's lines.
import { Box, Text } from 'ink';
import type { InstanceView } from '../../doctor/types.js';
import type { Line } from '../lines.js';
import { safe } from '../sanitize.js';
import { PANE_TITLES, PANES, type PaneId } from '../screen.js';
import type { ErrorNote } from '../state.js';
import { ErrorLine } from './ErrorsPanel.js';
import { LinesView, scrollLabel } from './LinesView.js';
import { STATUS_COLORS } from './status.js';

/** Rows above the pane body: title and tabs. */
export const DETAIL_CHROME_ROWS = 2;
export const DETAIL_MAX_ERROR_ROWS = 2;

/** Errors that name this instance or its cell, where they happened or in what they say. */
export function errorsFor(view: InstanceView, errors: readonly ErrorNote[]): ErrorNote[] {
  const cell = view.cellName;
  const names = (text: string) =>
    text.includes(view.uuid) ||
    (cell !== null && new RegExp(`(^|[^\\w-])${cell.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w-])`).test(text));
  return errors.filter((e) => names(e.where) || names(e.message));
}

export function detailBodyRows(height: number, errorRows: number): number {
  return Math.max(1, height - DETAIL_CHROME_ROWS - errorRows);
}

export function Detail({
  view,
  pane,
  lines,
  scroll,
  height,
  errors,
}: {
  view: InstanceView;
  pane: PaneId;
  lines: readonly Line[];
  scroll: number;
  height: number;
  errors: readonly ErrorNote[];
}) {
  const errorRows = Math.min(DETAIL_MAX_ERROR_ROWS, errors.length);
  const body = detailBodyRows(height, errorRows);
  const label = scrollLabel(lines.length, scroll, body);
  return (
    <Box flexDirection="column" height={height}>
      <Text wrap="truncate-end">
        <Text bold>{safe(view.uuid)}</Text>
        {view.displayName ? `  ${safe(view.displayName)}` : ''}
        {'  '}
        <Text color={STATUS_COLORS[view.status]}>{view.status}</Text>
        {`  cell ${safe(view.cellName)}`}
      </Text>
      <Text wrap="truncate-end">
        {PANES.map((p) => (
          <Text key={p} inverse={p === pane} bold={p === pane}>
            {p === pane ? `[${PANE_TITLES[p]}]` : ` ${PANE_TITLES[p]} `}
          </Text>
        ))}
        {label ? <Text dimColor>{`   ${label}`}</Text> : null}
      </Text>
      {(errorRows > 0 ? errors.slice(-errorRows) : []).map((note, i) => (
        <ErrorLine key={i} note={note} />
      ))}
      <LinesView lines={lines} offset={scroll} height={body} />
    </Box>
  );
}
