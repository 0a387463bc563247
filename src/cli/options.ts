// Turns parsed command-line flags into the doctor's config, refusing bad values before any work is done.
// Each value is parsed once, here or by the doctor function named; no business logic here.
import { statSync } from 'node:fs';
import type { DbOptions } from '../db/types.js';
import { checkHvType, checkTimes, checkWiden } from '../doctor/checks.js';
import type { DoctorConfig } from '../doctor/types.js';
import { usageError } from '../errors.js';

export interface DbFlags {
  config?: string[];
  configDir?: string[];
  apiDb?: string;
  cellDb?: string[];
}

export interface CommonFlags extends DbFlags {
  all?: boolean;
  readOnly?: boolean;
  hvType?: string;
  widen?: string[];
  since?: string;
  until?: string;
  /** Already a number: commander runs threadCount on the value. */
  threads?: number;
  json?: boolean;
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

export function isInstanceUuid(arg: string): boolean {
  return UUID.test(arg);
}

export const API_DB_ENV = 'NOVA_DOCTOR_API_DB';

/**
 * Database options from flags and the environment; null when none was given (log-only mode). What is on the command
 * line wins: NOVA_DOCTOR_API_DB is used only when no --config, --config-dir or --api-db is given (a variable left
 * over from another cloud must never redirect a command that names its own nova.conf), and is then named as the
 * source of the URL, so that messages say where to look.
 */
export function dbOptionsFrom(flags: DbFlags, env: NodeJS.ProcessEnv = process.env): DbOptions | null {
  const configFiles = flags.config ?? [];
  const configDirs = flags.configDir ?? [];
  const cellDbUrls = flags.cellDb ?? [];
  const explicit = flags.apiDb !== undefined || configFiles.length > 0 || configDirs.length > 0;
  const fromEnv = !explicit && Boolean(env[API_DB_ENV]);
  const apiDbUrl = flags.apiDb ?? (fromEnv ? env[API_DB_ENV]! : null);
  if (!apiDbUrl && configFiles.length === 0 && configDirs.length === 0) {
    if (cellDbUrls.length > 0)
      throw usageError('--cell-db needs the API database too', 'add --api-db URL or --config /etc/nova/nova.conf');
    return null;
  }
  return { configFiles, configDirs, apiDbUrl, cellDbUrls, ...(fromEnv ? { apiDbSource: API_DB_ENV } : {}) };
}

export const MAX_THREADS = 64;

/** --threads (commander's parser for it, so it is parsed once): a whole number from 1 to MAX_THREADS. */
export function threadCount(value: string): number {
  const n = /^\d{1,3}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 1 && n <= MAX_THREADS))
    throw usageError(
      `--threads '${value}' is not a number of threads`,
      `give a whole number from 1 to ${MAX_THREADS}; 1 scans in one thread`,
    );
  return n;
}

/** The config a command runs with; every option value is checked here, before anything is read. */
export function doctorConfigFrom(logs: string[], flags: CommonFlags): DoctorConfig {
  const times = checkTimes(flags.since, flags.until);
  return {
    logs,
    db: dbOptionsFrom(flags),
    all: flags.all ?? false,
    readOnly: flags.readOnly ?? false,
    hvType: checkHvType(flags.hvType),
    widen: checkWiden(flags.widen),
    since: times.since,
    until: times.until,
    threads: flags.threads ?? null,
  };
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** The command `word` was probably meant to be, if one is close enough. */
export function nearestCommand(word: string, commands: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Number.POSITIVE_INFINITY;
  for (const c of commands) {
    const d = distance(word.toLowerCase(), c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  // Two edits (a transposition such as tarce) for words of four letters or more, one for shorter ones.
  return best !== null && bestD <= (word.length >= 4 ? 2 : 1) ? best : null;
}

const GLOB = /[*?[]/;

function isReadablePath(arg: string): boolean {
  if (arg === '-' || GLOB.test(arg)) return true; // stdin, or a pattern the scan expands (and names if empty)
  try {
    statSync(arg);
    return true;
  } catch {
    return false;
  }
}

/** Why a word that looks meant as a UUID is not one. */
function notUuidBecause(arg: string): string {
  const hex = arg.replace(/-/g, '');
  if (/[^0-9a-f-]/i.test(arg)) return `'${arg.match(/[^0-9a-f-]/i)![0]}' is not a hex digit`;
  if (hex.length !== 32) return `it has ${hex.length} hex digits, a UUID has 32`;
  return 'its dashes are not where a UUID has them (8-4-4-4-12)';
}

/**
 * trace/repair (and the TUI) take UUIDs and log files in one list. A word that is neither an instance UUID nor
 * a file is a mistake (a typo in either, or a misspelt command): refused with both readings, before any work.
 * `commands`: when the word comes first in the TUI form, it may also be a misspelt command.
 */
export function splitTargets(args: string[], commands: readonly string[] = []): { uuids: string[]; logs: string[] } {
  const uuids: string[] = [];
  const logs: string[] = [];
  args.forEach((arg, i) => {
    if (isInstanceUuid(arg)) uuids.push(arg);
    else if (isReadablePath(arg)) logs.push(arg);
    else {
      const near = i === 0 && commands.length > 0 ? nearestCommand(arg, commands) : null;
      if (near) throw usageError(`unknown command '${arg}'`, `did you mean 'nova-doctor ${near}'?`);
      if (i === 0 && commands.length > 0 && !/[/.]/.test(arg) && !/^[0-9a-f-]{20,}$/i.test(arg))
        throw usageError(
          `'${arg}' is neither a command nor a log file (no such file)`,
          `the commands are ${commands.join(', ')}; see nova-doctor --help`,
        );
      throw usageError(
        `'${arg}' is neither an instance UUID (${notUuidBecause(arg)}) nor a log file (no such file)`,
        'check the UUID or the path',
      );
    }
  });
  return { uuids, logs };
}
