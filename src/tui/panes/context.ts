import type { CellStatus } from '../../db/types.js';
import type { SupportedInstance } from '../../nova/types.js';
import type { ErrorNote } from '../state.js';

/** What a pane needs besides the instance: the session's mode and surroundings. */
export interface PaneContext {
  hasDb: boolean;
  /** Found by a database-wide sweep (--all). */
  sweep: boolean;
  cells: readonly CellStatus[];
  errors: readonly ErrorNote[];
  width: number;
  /** The instance is being read in full: what is not in its row is on its way. */
  reading?: boolean;
}

export const READING = 'Reading its rows from the databases…';

export const NEEDS_DB =
  'Log-only mode: no database given. To trace stale values and plan repairs pass --config /etc/nova/nova.conf (or --api-db URL and --cell-db URL).';

export function tuple(t: SupportedInstance): string {
  return `[${t.join(', ')}]`;
}

export function passing(values: readonly (string | null)[]): string {
  if (values.length === 0) return 'nothing would pass on these hosts';
  return values.map((v) => (v === null ? 'remove it' : `'${v}'`)).join(' or ');
}
