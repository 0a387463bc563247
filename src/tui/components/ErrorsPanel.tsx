// The latest errors, in place, each with what to try. The session carries on around them.
import { Box, Text } from 'ink';
import { safe } from '../sanitize.js';
import type { ErrorNote } from '../state.js';

export function ErrorLine({ note }: { note: ErrorNote }) {
  return (
    <Text wrap="truncate-end">
      <Text color="red">✗ {safe(note.where)}: </Text>
      {safe(note.message)}
      {note.hint ? <Text color="yellow">{`  try: ${safe(note.hint)}`}</Text> : null}
    </Text>
  );
}

export function ErrorsPanel({ errors, rows }: { errors: readonly ErrorNote[]; rows: number }) {
  if (rows <= 0) return null;
  const shown = errors.slice(-rows);
  return (
    <Box flexDirection="column" height={rows}>
      {shown.map((note, i) => (
        <ErrorLine key={errors.length - shown.length + i} note={note} />
      ))}
    </Box>
  );
}
