// The `?` overlay, generated from the keymap table and nothing else.
import { activeBindings, contextsLabel, keysLabel } from '../keymap.js';
import { type Line, line, seg } from '../lines.js';

export function helpLines(readOnly: boolean): Line[] {
  const bindings = activeBindings(readOnly);
  const width = Math.max(...bindings.map((b) => keysLabel(b).length));
  const out: Line[] = bindings.map((b) =>
    line(
      seg(keysLabel(b).padEnd(width + 2), { color: 'cyan', bold: true }),
      b.description,
      seg(`  (${contextsLabel(b)})`, { dim: true }),
    ),
  );
  if (readOnly) out.push([], line(seg('Read-only session: marking, apply and undo are off.', { color: 'yellow' })));
  return out;
}
