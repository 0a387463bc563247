// From what the operator gave us (DbOptions) to the URLs nova itself would use: `--api-db` beats
// `[api_database] connection`; `[database] connection` fills cell URL templates; `--cell-db` replaces the URL of
// the cell it names (or whose database name it shares).

import { existsSync } from 'node:fs';
import { type DbTarget, makeTarget } from './connect.js';
import { parseDbUrl, splitCellDbArg } from './dbUrl.js';
import { DbError } from './errors.js';
import {
  API_DATABASE_CONNECTION,
  type ConfValue,
  DATABASE_CONNECTION,
  loadNovaConf,
  type NovaConf,
} from './novaConf.js';
import type { DbOptions } from './types.js';

/** oslo's default config locations for project 'nova', used when no config and no URL are given. */
export const DEFAULT_CONFIG_FILE = '/etc/nova/nova.conf';
export const DEFAULT_CONFIG_DIR = '/etc/nova/nova.conf.d';

export interface CellOverride {
  /** Cell uuid or name when given as `NAME=URL`; null when matched by database name. */
  cell: string | null;
  url: string;
  /** Database name in the URL, for matching by name. */
  database: string | null;
}

export interface ResolvedTargets {
  api: DbTarget;
  /** `[database] connection` (substituted), for cell URL templates; null when not configured. */
  databaseConnection: string | null;
  cellOverrides: CellOverride[];
  conf: NovaConf | null;
}

function confSource(v: ConfValue): string {
  return `[${v.group}] ${v.key} in ${v.file}:${v.line}`;
}

/** `NAME=URL` or `UUID=URL` names the cell; a bare URL is matched by its database name. */
export function parseCellOverride(text: string): CellOverride {
  const { cell, url } = splitCellDbArg(text);
  const parsed = parseDbUrl(url, '--cell-db');
  return { cell, url, database: parsed.database };
}

/** Work out which URLs to use. Throws DbError 'config' / 'url' with where to look. */
export async function resolveTargets(opts: DbOptions): Promise<ResolvedTargets> {
  let files = opts.configFiles;
  let dirs = opts.configDirs;
  if (files.length === 0 && dirs.length === 0 && opts.apiDbUrl === null) {
    // Like nova's own commands: fall back to the standard locations.
    files = existsSync(DEFAULT_CONFIG_FILE) ? [DEFAULT_CONFIG_FILE] : [];
    dirs = existsSync(DEFAULT_CONFIG_DIR) ? [DEFAULT_CONFIG_DIR] : [];
    if (files.length === 0 && dirs.length === 0) {
      throw new DbError(
        'config',
        `no database given and ${DEFAULT_CONFIG_FILE} not found: pass --config /path/to/nova.conf or --api-db mysql+pymysql://user:pass@host/nova_api`,
      );
    }
  }
  const conf = files.length > 0 || dirs.length > 0 ? await loadNovaConf(files, dirs) : null;
  const readFrom = conf ? conf.files.join(', ') : '';

  let api: DbTarget;
  if (opts.apiDbUrl !== null) {
    api = makeTarget('nova_api database', opts.apiDbUrl, opts.apiDbSource ?? '--api-db');
  } else {
    const v = conf?.get(API_DATABASE_CONNECTION) ?? null;
    if (!v || v.value === '') {
      throw new DbError(
        'config',
        `[api_database] connection is not set in ${readFrom || 'the config'}: pass the nova.conf of a controller (nova-api/nova-conductor) or --api-db URL`,
      );
    }
    api = makeTarget('nova_api database', v.value, confSource(v));
  }
  const db = conf?.get(DATABASE_CONNECTION) ?? null;
  return {
    api,
    databaseConnection: db && db.value !== '' ? db.value : null,
    cellOverrides: opts.cellDbUrls.map(parseCellOverride),
    conf,
  };
}
