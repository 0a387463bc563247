// The instance list, virtualised: only the rows in the window are built.
import chalk from 'chalk';
import { Box, Text } from 'ink';
import { memo } from 'react';
import type { InstanceRow } from '../../doctor/types.js';
import { cell, plural } from '../format.js';
import { type ListState, SORT_LABELS } from '../list.js';
import { safe } from '../sanitize.js';
import type { SessionState } from '../state.js';
import { STATUS_COLORS } from './status.js';

/** Column widths; the name takes what is left. */
const W = { cursor: 2, mark: 2, status: 13, uuid: 37, cell: 10, hosts: 6, last: 20 };
const FIXED = W.cursor + W.mark + W.status + W.uuid + W.cell;
/** The name gets at least this much: LAST REJECTION, then HOSTS, give way to it on narrow terminals. */
const MIN_NAME = 16;

export interface ListColumns {
  hosts: boolean;
  last: boolean;
  name: number;
}

const layouts = new Map<number, ListColumns>();

/**
 * Which columns fit in `columns`: at 80, STATUS INSTANCE CELL NAME; HOSTS from 86, LAST REJECTION from 106. One object per width, so the memoised
 * rows see the same one from frame to frame.
 */
export function listColumns(columns: number): ListColumns {
  let cols = layouts.get(columns);
  if (!cols) layouts.set(columns, (cols = columnsFor(columns)));
  return cols;
}

function columnsFor(columns: number): ListColumns {
  const room = columns - FIXED;
  if (room - W.hosts - W.last >= MIN_NAME) return { hosts: true, last: true, name: room - W.hosts - W.last };
  if (room - W.hosts >= MIN_NAME) return { hosts: true, last: false, name: room - W.hosts };
  return { hosts: false, last: false, name: Math.max(0, room) };
}

/** Rows of chrome above the rows: the info line and the column titles. */
export const LIST_CHROME_ROWS = 2;

/** Text in a named colour, as ink's <Text color> writes it (ink's colorize, with the chalk ink uses). */
function coloured(text: string, color: string): string {
  return (chalk as unknown as Record<string, (s: string) => string>)[color]?.(text) ?? text;
}

/**
 * A row's text: one string, its colours written in it as a nested <Text color> would have them written. One text
 * node a row instead of nine: a key that shows other rows (G, g, s, S, a filter keystroke: every row of the window)
 * had React and ink build, lay out and squash nine nodes for each.
 */
export function rowLine(view: InstanceRow, marked: boolean, cols: ListColumns, selected: boolean): string {
  const incident = view.incident;
  return (
    (selected ? '› ' : '  ') +
    (marked ? coloured('● ', 'yellow') : '  ') +
    coloured(cell(view.status, W.status), STATUS_COLORS[view.status]) +
    cell(safe(view.uuid), W.uuid) +
    cell(safe(view.cellName), W.cell) +
    (cols.hosts ? cell(String(incident?.hostsRejected.length ?? '-'), W.hosts) : '') +
    (cols.last ? cell(safe(incident?.lastSeen.slice(0, 19)), W.last) : '') +
    (cols.name > 0 ? cell(safe(view.displayName, ''), cols.name) : '')
  );
}

/** Memoised: moving the cursor re-renders two rows, not the window. */
export const Row = memo(function Row({
  view,
  selected,
  marked,
  cols,
}: {
  view: InstanceRow;
  selected: boolean;
  marked: boolean;
  cols: ListColumns;
}) {
  return (
    <Text wrap="truncate-end" inverse={selected}>
      {rowLine(view, marked, cols, selected)}
    </Text>
  );
});

export function InstanceList({
  rows,
  list,
  index,
  offset,
  height,
  total,
  columns,
  session,
}: {
  rows: readonly InstanceRow[];
  list: ListState;
  index: number;
  offset: number;
  height: number;
  total: number;
  columns: number;
  session: SessionState;
}) {
  const bodyRows = Math.max(1, height - LIST_CHROME_ROWS);
  const cols = listColumns(columns);
  const shown = rows.slice(offset, offset + bodyRows);
  const info = [
    `sort: ${SORT_LABELS[list.sort]}${list.reversed ? ' (reversed)' : ''}`,
    list.filter ? `filter: ${safe(list.filter)} → ${rows.length} of ${total}` : `${plural(total, 'instance')}`,
    list.marked.size > 0 ? `${list.marked.size} marked` : '',
    rows.length > bodyRows ? `rows ${offset + 1}–${offset + shown.length}` : '',
  ].filter(Boolean);
  return (
    <Box flexDirection="column" height={height}>
      <Text wrap="truncate-end" dimColor>
        {info.join(' · ')}
      </Text>
      <Text wrap="truncate-end" bold>
        {' '.repeat(W.cursor + W.mark)}
        {cell('STATUS', W.status)}
        {cell('INSTANCE', W.uuid)}
        {cell('CELL', W.cell)}
        {cols.hosts ? cell('HOSTS', W.hosts) : ''}
        {cols.last ? cell('LAST REJECTION', W.last) : ''}
        {cols.name > 0 ? cell('NAME', cols.name) : ''}
      </Text>
      {rows.length === 0 ? (
        <Text dimColor>
          {total === 0
            ? session.phase !== 'ready'
              ? 'Waiting for results…'
              : session.errors.length > 0
                ? // A request refused before any work (a --hv-type no host lists) looked at nothing.
                  'Nothing listed: see the error above (e lists them all).'
                : 'No affected instances found.'
            : 'No instance matches the filter (Esc clears it).'}
        </Text>
      ) : (
        shown.map((view, i) => (
          <Row
            // Keyed by screen slot, not uuid: scrolling then updates text in place instead of
            // tearing down and building layout nodes for every row.
            key={i}
            view={view}
            selected={offset + i === index}
            marked={list.marked.has(view.uuid)}
            cols={cols}
          />
        ))
      )}
    </Box>
  );
}
