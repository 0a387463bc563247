// Turns parsed command-line flags into the doctor's config. No business logic here.
import type { DbOptions } from '../db/types.js';
import type { DoctorConfig } from '../doctor/types.js';
import { DoctorError } from '../errors.js';

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
  since?: string;
  until?: string;
  threads?: string;
  json?: boolean;
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

export function isInstanceUuid(arg: string): boolean {
  return UUID.test(arg);
}

/** Database options from flags and the environment; null when none was given (log-only mode). */
export function dbOptionsFrom(flags: DbFlags, env: NodeJS.ProcessEnv = process.env): DbOptions | null {
  const apiDbUrl = flags.apiDb ?? env.NOVA_DOCTOR_API_DB ?? null;
  const configFiles = flags.config ?? [];
  const configDirs = flags.configDir ?? [];
  const cellDbUrls = flags.cellDb ?? [];
  if (!apiDbUrl && configFiles.length === 0 && configDirs.length === 0) {
    if (cellDbUrls.length > 0) {
      throw new DoctorError('--cell-db needs the API database too', {
        hint: 'add --api-db URL or --config /etc/nova/nova.conf',
        exitCode: 2,
      });
    }
    return null;
  }
  return { configFiles, configDirs, apiDbUrl, cellDbUrls };
}

const TIME = /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?$/;

/** --since/--until compare against oslo.log timestamps, which are local wall-clock text. */
export function timeBound(flag: string, value: string | undefined): string | null {
  if (value === undefined) return null;
  if (!TIME.test(value)) {
    throw new DoctorError(`${flag} '${value}' is not a time`, {
      hint: 'use YYYY-MM-DD or "YYYY-MM-DD HH:MM[:SS]" as in the log',
      exitCode: 2,
    });
  }
  return value.replace('T', ' ');
}

export const MAX_THREADS = 64;

/** --threads: a whole number of threads, 1 to MAX_THREADS; null when not given. */
export function threadCount(value: string | undefined): number | null {
  if (value === undefined) return null;
  const n = /^\d{1,3}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 1 && n <= MAX_THREADS)) {
    throw new DoctorError(`--threads '${value}' is not a number of threads`, {
      hint: `give a whole number from 1 to ${MAX_THREADS}; 1 scans in one thread`,
      exitCode: 2,
    });
  }
  return n;
}

export function doctorConfigFrom(logs: string[], flags: CommonFlags): DoctorConfig {
  return {
    logs,
    db: dbOptionsFrom(flags),
    all: flags.all ?? false,
    readOnly: flags.readOnly ?? false,
    hvType: flags.hvType ?? null,
    since: timeBound('--since', flags.since),
    until: timeBound('--until', flags.until),
    threads: threadCount(flags.threads),
  };
}

/** trace/repair take UUIDs and log files in one list: a UUID is an instance, anything else a log. */
export function splitTargets(args: string[]): { uuids: string[]; logs: string[] } {
  const uuids: string[] = [];
  const logs: string[] = [];
  for (const arg of args) (isInstanceUuid(arg) ? uuids : logs).push(arg);
  return { uuids, logs };
}
