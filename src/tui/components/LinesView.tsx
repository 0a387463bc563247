// Draws a window of prepared lines. The one place pane text reaches the terminal, so the one
// place it is sanitised.
import { Box, Text } from 'ink';
import type { Line } from '../lines.js';
import { sanitize } from '../sanitize.js';

export function LineText({ line }: { line: Line }) {
  if (line.length === 0) return <Text> </Text>;
  return (
    <Text wrap="truncate-end">
      {line.map((s, i) => (
        <Text key={i} color={s.color} bold={s.bold} dimColor={s.dim} inverse={s.inverse}>
          {sanitize(s.text)}
        </Text>
      ))}
    </Text>
  );
}

export function LinesView({ lines, offset, height }: { lines: readonly Line[]; offset: number; height: number }) {
  const shown = lines.slice(offset, offset + height);
  return (
    <Box flexDirection="column" height={height} overflowY="hidden">
      {shown.map((l, i) => (
        <LineText key={offset + i} line={l} />
      ))}
    </Box>
  );
}

/** "12–31 of 57" when the lines do not fit, else nothing. */
export function scrollLabel(total: number, offset: number, height: number): string {
  if (total <= height) return '';
  return `${offset + 1}–${Math.min(total, offset + height)} of ${total}`;
}
