// A list row as one string with its colours in it (rowLine) against the row as it was built before, nested <Text>
// elements that ink coloured and squashed: the same bytes on the terminal, selected or not, marked or not, at every
// width's columns, with names that are wide, empty, missing or full of escapes.
import { afterEach, describe, expect, it, vi } from 'vitest';

// Colours on for this file's module graph (as colours.test.tsx does), so the escapes are compared too.
const previous = vi.hoisted(() => {
  const before = process.env.FORCE_COLOR;
  process.env.FORCE_COLOR = '1';
  return before;
});

import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { InstanceRow, InstanceStatus } from '../../src/doctor/types.js';
import { type ListColumns, listColumns, Row } from '../../src/tui/components/InstanceList.js';
import { STATUS_COLORS } from '../../src/tui/components/status.js';
import { cell } from '../../src/tui/format.js';
import { safe } from '../../src/tui/sanitize.js';
import { staleView, withStatus } from './data.js';
import { type Rendered, renderTui } from './harness.js';

if (previous === undefined) delete process.env.FORCE_COLOR;
else process.env.FORCE_COLOR = previous;

const W = { status: 13, uuid: 37, cell: 10, hosts: 6, last: 20 };

/** The row as InstanceList built it before rowLine: a <Text> per coloured part, the rest strings. */
function NestedRow({
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
  const incident = view.incident;
  return (
    <Text wrap="truncate-end" inverse={selected}>
      {selected ? '› ' : '  '}
      {marked ? <Text color="yellow">● </Text> : '  '}
      <Text color={STATUS_COLORS[view.status]}>{cell(view.status, W.status)}</Text>
      {cell(safe(view.uuid), W.uuid)}
      {cell(safe(view.cellName), W.cell)}
      {cols.hosts ? cell(String(incident?.hostsRejected.length ?? '-'), W.hosts) : ''}
      {cols.last ? cell(safe(incident?.lastSeen.slice(0, 19)), W.last) : ''}
      {cols.name > 0 ? cell(safe(view.displayName, ''), cols.name) : ''}
    </Text>
  );
}

/** Every status, each with its colour (the table the list colours rows by). */
const STATUSES = Object.keys(STATUS_COLORS) as InstanceStatus[];
const NAMES = [
  null,
  '',
  'web-001',
  'Café été ☕',
  '漢字のインスタンス名がとても長い',
  'evil\u001b[2Jname\u0007',
  'x'.repeat(90),
];

function rows(n: number): { view: InstanceRow; selected: boolean; marked: boolean }[] {
  return Array.from({ length: n }, (_, i) => {
    const base = withStatus(staleView(i + 1), STATUSES[i % STATUSES.length] as InstanceStatus);
    const view: InstanceRow = {
      ...base,
      displayName: NAMES[i % NAMES.length] as string | null,
      cellName: i % 5 === 0 ? null : base.cellName,
      incident: i % 3 === 0 ? null : base.incident,
    };
    return { view, selected: i % 4 === 1, marked: i % 3 === 2 };
  });
}

let t: Rendered | null = null;
afterEach(() => t?.unmount());

async function frameOf(tree: React.ReactElement, columns: number): Promise<string> {
  t?.unmount();
  t = renderTui(tree, { columns, rows: 40 });
  const r = t;
  await r.waitFor(() => r.stdout.frames.length > 0, 'a frame');
  return r.stdout.frames.at(-1) as string;
}

type RowComponent = (props: { view: InstanceRow; selected: boolean; marked: boolean; cols: ListColumns }) => ReactNode;

/** The rows drawn one under the other by one row component (the old nested one or InstanceList's own). */
function rowsWith(Component: RowComponent, list: ReturnType<typeof rows>, cols: ListColumns, columns: number) {
  return (
    <Box flexDirection="column" width={columns}>
      {list.map((r, i) => (
        <Component key={i} view={r.view} selected={r.selected} marked={r.marked} cols={cols} />
      ))}
    </Box>
  );
}

describe('rowLine', () => {
  for (const columns of [60, 80, 100, 140]) {
    it(`writes what the nested row wrote, colours included, at ${columns} columns`, async () => {
      const cols = listColumns(columns);
      const list = rows(24);
      const nested = await frameOf(rowsWith(NestedRow, list, cols, columns), columns);
      const flat = await frameOf(rowsWith(Row, list, cols, columns), columns);
      expect(nested).toContain('\u001b[31m'); // coloured: the comparison covers the escapes
      expect(flat).toBe(nested);
    });
  }
});
