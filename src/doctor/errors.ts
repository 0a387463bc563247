// What the faces need to know about a failure: the one line to show and the exit code. Errors the operator can
// act on come from every layer; anything else is our bug and keeps its stack.
import { DbError } from '../db/errors.js';
import { isDoctorError } from '../errors.js';

export interface UserFacingError {
  line: string;
  exitCode: number;
}

/** Bad input and configuration mistakes exit 2; a database that cannot be used exits 4. */
const DB_EXIT: Record<DbError['kind'], number> = {
  config: 2,
  url: 2,
  auth: 4,
  unreachable: 4,
  'no-database': 4,
  permission: 4,
  'not-nova': 4,
  schema: 4,
  query: 4,
  'server-missing': 4,
};

export function userFacing(err: unknown): UserFacingError | null {
  if (isDoctorError(err)) return { line: err.oneLine(), exitCode: err.options.exitCode ?? 2 };
  if (err instanceof DbError) return { line: err.message.replace(/\s*\n\s*/g, ' '), exitCode: DB_EXIT[err.kind] };
  return null;
}
