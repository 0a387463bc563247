// SQLAlchemy database URLs as nova reads them (SQLAlchemy 1.4 `engine/url.py` `_parse_url`), nova's cell URL
// templates (`CellMapping._format_url`, which uses Python's urllib instead), and the mapping to mysql2 options.
// WHATWG `URL` is no use here: it rejects `#` and `/` in an unencoded password, which SQLAlchemy accepts.

import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'mysql2';
import { credentialsOf } from '../secrets.js';
import { DbError } from './errors.js';

export interface DbUrl {
  /** `mysql+pymysql`, `mysql`, `mariadb+pymysql`, … as written. */
  drivername: string;
  backend: string;
  driver: string | null;
  username: string | null;
  password: string | null;
  host: string | null;
  port: number | null;
  database: string | null;
  /** Query parameters, percent-decoded; a repeated key becomes a list (as SQLAlchemy does). */
  query: Record<string, string | string[]>;
}

// SQLAlchemy 1.4 `_parse_url`, verbatim. Python's `\w` is Unicode-aware, hence the `u` flag and \p{…}.
const SQLA_URL =
  /^(?<name>[\p{L}\p{N}_+]+):\/\/(?:(?<username>[^:/]*)(?::(?<password>[^@]*))?@)?(?:(?:\[(?<ipv6host>[^/?]+)\]|(?<ipv4host>[^/:?]+))?(?::(?<port>[^/?]*))?)?(?:\/(?<database>[^?]*))?(?:\?(?<query>.*))?/su;

const SUPPORTED_BACKENDS = new Set(['mysql', 'mariadb']);

/** Python `urllib.parse.unquote`: %XX runs decoded as UTF-8 with replacement, anything else kept as is. */
export function pyUnquote(text: string): string {
  if (!text.includes('%')) return text;
  const decoder = new TextDecoder('utf-8', { fatal: false });
  return text.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    const bytes = new Uint8Array(run.length / 3);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(run.slice(i * 3 + 1, i * 3 + 3), 16);
    return decoder.decode(bytes);
  });
}

/** Python `urllib.parse.parse_qsl(qs)` (3.11: `&` only, blank values dropped, `+` is a space). */
export function pyParseQsl(qs: string): [string, string][] {
  const out: [string, string][] = [];
  for (const field of qs.split('&')) {
    if (!field) continue;
    const eq = field.indexOf('=');
    if (eq < 0) continue;
    const value = field.slice(eq + 1);
    if (!value) continue;
    out.push([pyUnquote(field.slice(0, eq).replace(/\+/g, ' ')), pyUnquote(value.replace(/\+/g, ' '))]);
  }
  return out;
}

/**
 * Parse a SQLAlchemy URL exactly as SQLAlchemy 1.4 does. Throws a DbError (kind 'url') whose message shows the URL
 * masked; `where` names where the URL came from (e.g. "[api_database] connection in /etc/nova/nova.conf").
 */
export function parseDbUrl(text: string, where = 'database URL'): DbUrl {
  const m = SQLA_URL.exec(text);
  const g = m?.groups;
  if (!g?.name) {
    throw new DbError(
      'url',
      `${where}: cannot parse ${maskUrl(text)} as a SQLAlchemy URL (expected mysql+pymysql://user:password@host:port/database)`,
    );
  }
  // The one rule of src/secrets.ts must see the same user and password, or masks would show part of a password.
  const c = credentialsOf(text);
  const user = c ? text.slice(c.userStart, c.colon >= 0 ? c.colon : c.at) : undefined;
  const password = c && c.colon >= 0 ? text.slice(c.colon + 1, c.at) : undefined;
  if (user !== g.username || password !== g.password) {
    throw new DbError(
      'url',
      `${where}: where the password ends in ${maskUrl(text)} is ambiguous: an '@' in the password or after the host, or a '/' in the user name, must be percent-encoded ('@' as %40, '/' as %2F)`,
    );
  }
  const [backend = g.name, driver = null] = g.name.split('+', 2);
  let port: number | null = null;
  // SQLAlchemy keeps an empty port ('db:/x') and then refuses it.
  if (g.port !== undefined) {
    // Python int(): optional sign and surrounding whitespace, digits (underscores allowed between digits).
    const p = g.port.trim().replace(/(?<=\d)_(?=\d)/g, '');
    if (!/^[+-]?\d+$/.test(p)) {
      throw new DbError('url', `${where}: port '${g.port}' in ${maskUrl(text)} is not a number`);
    }
    port = Number.parseInt(p, 10);
  }
  const query: Record<string, string | string[]> = {};
  if (g.query !== undefined) {
    for (const [k, v] of pyParseQsl(g.query)) {
      const prev = query[k];
      if (prev === undefined) query[k] = v;
      else if (Array.isArray(prev)) prev.push(v);
      else query[k] = [prev, v];
    }
  }
  return {
    drivername: g.name,
    backend,
    driver,
    username: g.username === undefined ? null : pyUnquote(g.username),
    password: g.password === undefined ? null : pyUnquote(g.password),
    host: g.ipv4host || g.ipv6host || null,
    port,
    database: g.database === undefined ? null : g.database,
    query,
  };
}

const SECRET_QUERY_KEYS = /^(password|passwd|pass)$/i;

/**
 * The URL with its password (and any password query parameter) replaced by `***`. Text that is not a URL at all is
 * reduced to its scheme, so nothing secret can leak through a typo.
 */
export function maskUrl(text: string): string {
  // A cell URL template (`{scheme}://{username}:{password}@…`) holds placeholders, not secrets: show it.
  if (text.startsWith('{scheme}://')) {
    const filled = maskUrl(`scheme://${text.slice('{scheme}://'.length)}`);
    return `{scheme}://${filled.slice('scheme://'.length)}`.replace(
      /^(\{scheme\}:\/\/\{username\}:)\*\*\*@/,
      '$1{password}@',
    );
  }
  const g = SQLA_URL.exec(text)?.groups;
  if (!g?.name) {
    const scheme = /^[\w+]+:\/\//.exec(text)?.[0];
    return scheme ? `${scheme}***` : '<unparseable URL>';
  }
  const c = credentialsOf(text);
  if (!c || c.colon < 0) return maskQuery(text);
  // Everything up to the last '@' goes (src/secrets.ts): an unencoded '@' makes SQLAlchemy put the rest of the
  // password in the host, port or database, and none of it may show.
  return `${text.slice(0, c.colon)}:***@${maskQuery(text.slice(c.at + 1))}`;
}

function maskQuery(text: string): string {
  const q = text.indexOf('?');
  if (q < 0) return text;
  const masked = text
    .slice(q + 1)
    .split('&')
    .map((kv) => {
      const eq = kv.indexOf('=');
      return eq >= 0 && SECRET_QUERY_KEYS.test(pyUnquote(kv.slice(0, eq).replace(/\+/g, ' ')))
        ? `${kv.slice(0, eq)}=***`
        : kv;
    })
    .join('&');
  return `${text.slice(0, q)}?${masked}`;
}

/**
 * A `--cell-db` value: `NAME=URL` or `UUID=URL` names the cell; a bare URL (cell null) is matched by its database
 * name. Read here for the resolver and for the printed undo command alike, so both see the same NAME.
 */
export function splitCellDbArg(text: string): { cell: string | null; url: string } {
  const m = /^([^=:/]+)=(.+:\/\/.*)$/s.exec(text);
  return { cell: m?.[1] ?? null, url: m?.[2] ?? text };
}

/** A `--cell-db` value for output: the URL masked (maskUrl), its `NAME=` kept. */
export function maskCellDbArg(text: string): string {
  const { cell, url } = splitCellDbArg(text);
  return cell === null ? maskUrl(url) : `${cell}=${maskUrl(url)}`;
}

export interface Mysql2Mapping {
  options: ConnectionOptions;
  /** Query parameters we understood but cannot honour, or did not recognise. */
  warnings: string[];
}

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[v.length - 1] : v;
}

function readPem(path: string, key: string, where: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new DbError('config', `${where}: cannot read ${key} file ${path}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
}

/**
 * mysql2 connection options for a parsed URL, with pymysql's defaults (localhost:3306 over TCP unless
 * `unix_socket` is given). Throws DbError 'url' for a backend other than MySQL/MariaDB.
 */
export function toMysql2Options(url: DbUrl, where = 'database URL', connectTimeoutMs = 5000): Mysql2Mapping {
  if (!SUPPORTED_BACKENDS.has(url.backend)) {
    throw new DbError(
      'url',
      `${where}: '${url.drivername}' databases are not supported; nova-doctor reads MySQL/MariaDB (mysql+pymysql://…)`,
    );
  }
  const warnings: string[] = [];
  const options: ConnectionOptions = {
    user: url.username ?? '',
    password: url.password ?? '',
    database: url.database || undefined,
    connectTimeout: connectTimeoutMs,
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    multipleStatements: false,
  };
  const socket = one(url.query.unix_socket);
  if (socket) options.socketPath = socket;
  else {
    options.host = url.host ?? 'localhost';
    options.port = url.port ?? 3306;
  }
  const ssl: { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean } = {};
  for (const [key, value] of Object.entries(url.query)) {
    const v = one(value) ?? '';
    switch (key) {
      case 'unix_socket':
      case 'charset': // we always talk utf8mb4; the server converts, so text round-trips unchanged
        break;
      case 'connect_timeout':
        if (/^\d+$/.test(v)) options.connectTimeout = Math.min(Number(v) * 1000, connectTimeoutMs);
        break;
      case 'ssl_ca':
        ssl.ca = readPem(v, key, where);
        break;
      case 'ssl_cert':
        ssl.cert = readPem(v, key, where);
        break;
      case 'ssl_key':
        ssl.key = readPem(v, key, where);
        break;
      case 'ssl_verify_cert':
        ssl.rejectUnauthorized = !/^(0|false|no|off)$/i.test(v);
        break;
      case 'ssl':
        if (!/^(0|false|no|off)$/i.test(v)) ssl.rejectUnauthorized ??= true;
        break;
      case 'read_default_file':
      case 'read_default_group':
      case 'plugin':
        warnings.push(
          `${where}: query parameter '${key}' is ignored (mysql2 cannot read MySQL option files or load plugins)`,
        );
        break;
      default:
        warnings.push(`${where}: query parameter '${key}' is ignored`);
    }
  }
  if (Object.keys(ssl).length > 0) {
    ssl.rejectUnauthorized ??= true;
    options.ssl = ssl;
  }
  return { options, warnings };
}

/** Where a URL points, for messages: `host:port/database` or `socket/database`; no credentials. */
export function describeTarget(url: DbUrl): string {
  return `${describeServer(url)}/${url.database ?? ''}`;
}

/** The server a URL points at, for messages: `host:port`, or the socket's path when it has one. */
export function describeServer(url: DbUrl): string {
  return one(url.query.unix_socket) ?? `${url.host ?? 'localhost'}:${url.port ?? 3306}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Cell URL templates. nova (`CellMapping._format_url`) fills them from `[database] connection` parsed with
// Python's `urllib.parse.urlparse`, which differs from SQLAlchemy: `#` starts a fragment, `@` splits at the last one,
// the hostname is lower-cased, and nothing is percent-decoded.

interface PySplit {
  scheme: string;
  netloc: string;
  path: string;
  query: string;
  fragment: string;
}

const SCHEME_CHARS = /^[A-Za-z][A-Za-z0-9+\-.]*$/;

/** Python 3.11 `urllib.parse.urlsplit` (scheme, netloc, path, query, fragment). */
export function pyUrlSplit(input: string): PySplit {
  // Python strips C0 controls and spaces in front, and drops tabs and newlines anywhere.
  let url = input.replace(/^[\x00-\x20]+/, '').replace(/[\t\r\n]/g, '');
  let scheme = '';
  let netloc = '';
  let query = '';
  let fragment = '';
  const colon = url.indexOf(':');
  if (colon > 0 && SCHEME_CHARS.test(url.slice(0, colon))) {
    scheme = url.slice(0, colon).toLowerCase();
    url = url.slice(colon + 1);
  }
  if (url.startsWith('//')) {
    let end = url.length;
    for (const c of '/?#') {
      const i = url.indexOf(c, 2);
      if (i >= 0) end = Math.min(end, i);
    }
    netloc = url.slice(2, end);
    url = url.slice(end);
    if ((netloc.includes('[') && !netloc.includes(']')) || (netloc.includes(']') && !netloc.includes('['))) {
      throw new Error('Invalid IPv6 URL');
    }
  }
  const hash = url.indexOf('#');
  if (hash >= 0) {
    fragment = url.slice(hash + 1);
    url = url.slice(0, hash);
  }
  const q = url.indexOf('?');
  if (q >= 0) {
    query = url.slice(q + 1);
    url = url.slice(0, q);
  }
  return { scheme, netloc, path: url, query, fragment };
}

function rpartition(s: string, sep: string): [string, boolean, string] {
  const i = s.lastIndexOf(sep);
  return i < 0 ? ['', false, s] : [s.slice(0, i), true, s.slice(i + sep.length)];
}

function partition(s: string, sep: string): [string, boolean, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, false, ''] : [s.slice(0, i), true, s.slice(i + sep.length)];
}

type Sub = string | number | null;

/** Python's `SplitResult.username/.password/.hostname/.port`. */
function pyNetlocParts(netloc: string): { username: Sub; password: Sub; hostname: Sub; port: Sub } {
  const [userinfo, haveInfo, hostinfo] = rpartition(netloc, '@');
  let username: string | null = null;
  let password: string | null = null;
  if (haveInfo) {
    const [u, havePw, p] = partition(userinfo, ':');
    username = u;
    if (havePw) password = p;
  }
  let hostname: string;
  let portText: string;
  const [, haveOpen, bracketed] = partition(hostinfo, '[');
  if (haveOpen) {
    const [h, , rest] = partition(bracketed, ']');
    hostname = h;
    portText = partition(rest, ':')[2];
  } else {
    const [h, , p] = partition(hostinfo, ':');
    hostname = h;
    portText = p;
  }
  let port: number | null = null;
  if (portText) {
    // Not quoted, unlike Python's message: with an unencoded '/' in the password, this is part of the password.
    if (!/^[0-9]+$/.test(portText)) throw new Error('the port is not a number');
    port = Number(portText);
    if (port > 65535) throw new Error('Port out of range 0-65535');
  }
  // Python's str.lower() on the host; '%' zone ids keep their case, which no database host uses.
  return { username, password, hostname: hostname ? hostname.toLowerCase() : null, port };
}

function pyStr(v: Sub): string {
  return v === null ? 'None' : String(v);
}

/** Python `str.format(**subs)` for plain `{name}` fields (with `!s`/`!r` and `{{`/`}}`); unknown names throw. */
function pyFormat(template: string, subs: Record<string, Sub>): string {
  return template.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (whole, field: string | undefined) => {
    if (whole === '{{') return '{';
    if (whole === '}}') return '}';
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:!([sr]))?(?::(.*))?$/s.exec(field ?? '');
    if (!m?.[1]) throw new Error(`unsupported template field {${field}}`);
    if (!(m[1] in subs)) throw new Error(`unknown template field {${m[1]}}`);
    const v = subs[m[1]] ?? null;
    if (m[3]) throw new Error(`format spec in {${field}} is not supported`);
    return m[2] === 'r' ? (typeof v === 'string' ? `'${v}'` : pyStr(v)) : pyStr(v);
  });
}

/**
 * nova's `CellMapping.format_db_url(template)` against `[database] connection`. A URL without `{` is returned as it
 * is, like nova. Throws a plain Error (message without secrets) when nova could not fill the template.
 */
export function formatCellDbUrl(template: string, databaseConnection: string | null): string {
  const looksLikeTemplate = TEMPLATE_FIELD.test(template);
  if (databaseConnection === null) {
    if (looksLikeTemplate) {
      throw new Error(
        'the cell URL is a template, but [database] connection is not set (give nova.conf with --config)',
      );
    }
    return template;
  }
  try {
    const parts = pyUrlSplit(databaseConnection);
    const subs: Record<string, Sub> = {
      ...pyNetlocParts(parts.netloc),
      scheme: parts.scheme,
      query: parts.query,
      fragment: parts.fragment,
      path: parts.path.replace(/^\/+/, ''),
    };
    if (parts.netloc.includes(',')) {
      parts.netloc.split(',').forEach((netloc, i) => {
        for (const [k, v] of Object.entries(novaParseNetloc(netloc))) subs[`${k}${i + 1}`] = v;
      });
    }
    return pyFormat(template, subs);
  } catch (e) {
    // nova logs the exception and uses the text as it is: right for a plain URL whose password holds a brace,
    // hopeless for a real template, which we say now rather than fail to connect later.
    if (looksLikeTemplate) {
      throw new Error(`the cell URL template cannot be filled from [database] connection: ${(e as Error).message}`);
    }
    return template;
  }
}

const TEMPLATE_FIELD = /\{(?:scheme|username|password|hostname|port|path|query|fragment)\d*(?:![sr])?\}/;

/** nova `cell_mapping._parse_netloc` (for oslo.messaging-style multi-host netlocs). */
function novaParseNetloc(netloc: string): Record<string, Sub> {
  const these: Record<string, Sub> = { username: null, password: null, hostname: null, port: null };
  let userpass = '';
  let hostport = netloc;
  if (netloc.includes('@')) [userpass, hostport] = [partition(netloc, '@')[0], partition(netloc, '@')[2]];
  if (hostport.startsWith('[')) {
    const end = hostport.indexOf(']');
    if (end < 0) throw new Error('Invalid IPv6 URL');
    these.hostname = hostport.slice(1, end);
    these.port = hostport.slice(end + 1);
  } else if (hostport.includes(':')) {
    these.hostname = partition(hostport, ':')[0];
    these.port = partition(hostport, ':')[2];
  } else these.hostname = hostport;
  if (userpass.includes(':')) {
    these.username = partition(userpass, ':')[0];
    these.password = partition(userpass, ':')[2];
  } else these.username = userpass;
  return these;
}
