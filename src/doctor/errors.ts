// What the faces need to know about a failure: the one line to show and the exit code. Errors the operator can
// act on come from every layer; anything else is our bug and keeps its stack.
import { DbError } from '../db/errors.js';
import { ExitCode, type ExitCodeValue, isDoctorError } from '../errors.js';

export interface UserFacingError {
  line: string;
  exitCode: ExitCodeValue;
}

/** Bad input and configuration mistakes are usage errors; a database that cannot be used is a database error. */
const DB_EXIT: Record<DbError['kind'], ExitCodeValue> = {
  config: ExitCode.usage,
  url: ExitCode.usage,
  auth: ExitCode.database,
  unreachable: ExitCode.database,
  'no-database': ExitCode.database,
  permission: ExitCode.database,
  'not-nova': ExitCode.database,
  schema: ExitCode.database,
  query: ExitCode.database,
  'server-missing': ExitCode.database,
};

export function userFacing(err: unknown): UserFacingError | null {
  if (isDoctorError(err)) return { line: err.oneLine(), exitCode: err.exitCode };
  if (err instanceof DbError) return { line: err.message.replace(/\s*\n\s*/g, ' '), exitCode: DB_EXIT[err.kind] };
  return null;
}

/** What, and what to try, for the TUI's error notes: the same words the command line prints. */
export function describeError(err: unknown): { message: string; hint: string | null } {
  if (isDoctorError(err)) return { message: err.message, hint: err.options.hint ?? null };
  if (err instanceof DbError) return { message: err.message, hint: null };
  return { message: err instanceof Error ? err.message : String(err), hint: null };
}
