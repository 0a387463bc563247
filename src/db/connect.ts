// Connections to one database: a small mysql2 pool, opened with a bounded timeout, with every failure turned into
// one line that names the database (masked URL), says what went wrong and what to try.

import mysql, { type Pool, type PoolConnection } from 'mysql2/promise';
import { type DbUrl, describeServer, maskUrl, parseDbUrl, toMysql2Options } from './dbUrl.js';
import { DbError } from './errors.js';

/** One database we were told to reach, and where we were told. */
export interface DbTarget {
  /** What it is, for messages: `nova_api database`, `cell database cell1 (2951ceaf-…)`. */
  label: string;
  url: DbUrl;
  maskedUrl: string;
  /** Where the URL came from: `[api_database] connection in /etc/nova/nova.conf:12`, `--api-db`, … */
  source: string;
}

export interface ConnectOptions {
  /** Give up connecting after this long (default 5000 ms). */
  connectTimeoutMs?: number;
  /** Connections per database (default 4): reads use one at a time, the repair engine may use more. */
  poolSize?: number;
}

/** Parse a URL into a target; a bad URL is a DbError naming `source`. */
export function makeTarget(label: string, rawUrl: string, source: string): DbTarget {
  const url = parseDbUrl(rawUrl, `${label} (${source})`);
  return { label, url, maskedUrl: maskUrl(rawUrl), source };
}

interface MysqlError {
  code?: string;
  errno?: number;
  sqlMessage?: string;
  message?: string;
}

/** One line for a failure talking to `target`. Never includes the password: mysql2's messages do not carry it. */
export function explainDbError(err: unknown, target: DbTarget, timeoutMs = 5000): DbError {
  const e = (err ?? {}) as MysqlError;
  const head = `${target.label} ${target.maskedUrl}`;
  const check = `check ${target.source}`;
  const place = describeServer(target.url);
  const user = target.url.username ?? '';
  const db = target.url.database ?? '';
  const line = (kind: ConstructorParameters<typeof DbError>[0], what: string) => new DbError(kind, `${head}: ${what}`);
  switch (e.code) {
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR':
      return line('auth', `access denied for user '${user}' (wrong user or password?); ${check}`);
    case 'ER_NOT_SUPPORTED_AUTH_MODE':
    case 'AUTH_SWITCH_PLUGIN_ERROR':
      return line(
        'auth',
        `the server wants an authentication method mysql2 cannot do for '${user}' (${e.message ?? e.code})`,
      );
    case 'ER_DBACCESS_DENIED_ERROR':
      return line(
        'permission',
        `user '${user}' may not use database '${db}'; GRANT SELECT ON \`${db}\`.* TO '${user}'@…`,
      );
    case 'ER_BAD_DB_ERROR':
      return line('no-database', `database '${db}' does not exist on ${place}; ${check}`);
    case 'ER_HOST_NOT_PRIVILEGED':
    case 'ER_HOST_IS_BLOCKED':
      return line('auth', `the server does not accept connections from this host (${e.message ?? e.code})`);
    case 'ECONNREFUSED':
      return line('unreachable', `connection refused at ${place} (is MariaDB running and listening there?)`);
    case 'ETIMEDOUT':
      return line(
        'unreachable',
        `no answer from ${place} within ${(timeoutMs / 1000).toFixed(0)} s (host down or firewalled?)`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return line('unreachable', `host name '${target.url.host ?? ''}' not found; ${check}`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return line('unreachable', `no route to ${place} (network unreachable)`);
    case 'ENOENT':
      return line('unreachable', `socket ${place} does not exist (is MariaDB running on this machine?)`);
    case 'EACCES':
      return line('unreachable', `permission denied on socket ${place}`);
    case 'ECONNRESET':
    case 'PROTOCOL_CONNECTION_LOST':
    case 'EPIPE':
      return line('unreachable', `the server closed the connection (${e.code}); is ${place} a MySQL/MariaDB server?`);
    case 'HANDSHAKE_NO_SSL_SUPPORT':
      return line('unreachable', 'the server does not support SSL, but the URL asks for it');
    case 'ER_TABLEACCESS_DENIED_ERROR':
    case 'ER_COLUMNACCESS_DENIED_ERROR':
      return line('permission', `${e.sqlMessage ?? e.message}; grant SELECT on the nova tables to '${user}'`);
    case 'ER_NO_SUCH_TABLE':
      return line('not-nova', `${e.sqlMessage ?? e.message}: is this a nova database? ${check}`);
    default: {
      const msg = (e.sqlMessage ?? e.message ?? String(err)).split('\n')[0];
      return line('query', `${msg}${e.code ? ` (${e.code})` : ''}`);
    }
  }
}

/** A pool for `target` without connecting yet. `readOnlySession`: every connection is `SET SESSION TRANSACTION
 * READ ONLY` before its first use, so each statement runs as a read-only transaction and nothing can write. */
export function createPool(
  target: DbTarget,
  opts: ConnectOptions = {},
  readOnlySession = false,
): { pool: Pool; warnings: string[] } {
  const timeoutMs = opts.connectTimeoutMs ?? 5000;
  const { options, warnings } = toMysql2Options(target.url, `${target.label} (${target.source})`, timeoutMs);
  const pool = mysql.createPool({
    ...options,
    connectionLimit: opts.poolSize ?? 4,
    maxIdle: opts.poolSize ?? 4,
    idleTimeout: 60_000,
    enableKeepAlive: true,
    // No stack captured for each query's promise (Error.captureStackTrace, to give a failed query the caller's
    // frames): a sweep makes ~30 queries a thousand instances, ~0.2 s of CPU at 100k, and every database error is
    // explained by explainDbError, whose message names the database, never shown with a stack.
    trace: false,
  });
  if (readOnlySession) {
    // Queued on the new connection before whatever it was taken for.
    pool.on('connection', (conn) => {
      (conn as unknown as { query(sql: string): void }).query('SET SESSION TRANSACTION READ ONLY');
    });
  }
  return { pool, warnings };
}

/**
 * Open a read-only pool for `target` and prove it works with one connection, within the timeout. Throws the
 * DbError from explainDbError. The pool belongs to the caller (end it with `pool.end()`).
 */
export async function openPool(
  target: DbTarget,
  opts: ConnectOptions = {},
): Promise<{ pool: Pool; warnings: string[] }> {
  const timeoutMs = opts.connectTimeoutMs ?? 5000;
  const { pool, warnings } = createPool(target, opts, true);
  // mysql2 does not bound DNS or a server that accepts TCP but never greets; a timer does.
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), timeoutMs + 500);
  });
  try {
    const conn = await Promise.race([pool.getConnection(), timeout]);
    conn.release();
    return { pool, warnings };
  } catch (err) {
    pool.end().catch(() => undefined);
    throw explainDbError(err, target, timeoutMs);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Run `fn` on a pooled connection of a read-only pool. With `transaction` (the default) its statements share one
 * `START TRANSACTION READ ONLY` snapshot; without, each statement is its own read-only transaction (one round trip
 * less, for single-statement reads). Errors are explained against `target`.
 */
export async function readOnly<T>(
  pool: Pool,
  target: DbTarget,
  fn: (conn: PoolConnection) => Promise<T>,
  transaction = true,
): Promise<T> {
  let conn: PoolConnection;
  try {
    conn = await pool.getConnection();
  } catch (err) {
    throw explainDbError(err, target);
  }
  try {
    if (transaction) await conn.query('START TRANSACTION READ ONLY');
    const out = await fn(conn);
    if (transaction) await conn.query('COMMIT');
    conn.release();
    return out;
  } catch (err) {
    // A connection that failed mid-query is not returned to the pool.
    conn.destroy();
    throw err instanceof DbError ? err : explainDbError(err, target);
  }
}
