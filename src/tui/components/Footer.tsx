// One row: the filter field while typing, else a notice, else the keys that matter here.
import { Text } from 'ink';
import { Command, footerHints, type KeyContext } from '../keymap.js';
import { safe } from '../sanitize.js';

export function Footer({
  context,
  readOnly,
  notice,
  filter,
  editing,
}: {
  context: KeyContext;
  readOnly: boolean;
  notice: string | null;
  filter: string;
  editing: boolean;
}) {
  if (editing) {
    return (
      <Text wrap="truncate-end">
        <Text color="cyan">/</Text>
        {safe(filter)}
        <Text inverse> </Text>
        <Text dimColor>{`   ${footerHints('filter', readOnly)}`}</Text>
      </Text>
    );
  }
  if (notice) {
    return (
      <Text wrap="truncate-end" color="yellow">
        {safe(notice)}
      </Text>
    );
  }
  const skip = filter ? [] : [Command.ClearFilter];
  return (
    <Text wrap="truncate-end" dimColor>
      {footerHints(context, readOnly, skip)}
    </Text>
  );
}
