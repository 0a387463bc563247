// nova.conf read the way oslo.config reads it (oslo_config/iniparser.py and cfg.py), for the two options we need.
// Differences from common INI readers matter for passwords: only whole-line comments (`;` and `#` inside a value
// are kept), one pair of matching quotes stripped, continuation lines joined with '\n', `$var` / `${group.opt}`
// substitution with `$$` and `\$` for a literal dollar, group names lower-cased except DEFAULT.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DbError } from './errors.js';

/** One `key = value` as written, after quote stripping and continuation joining (before substitution). */
export interface ConfEntry {
  value: string;
  file: string;
  line: number;
}

/** Parsed file: normalized group name → key → every assignment in file order (a repeated key accumulates). */
export type ConfSections = Map<string, Map<string, ConfEntry[]>>;

export interface ConfFile {
  file: string;
  sections: ConfSections;
}

/** Group names as oslo normalises them (`_normalize_group_name`). */
export function normalizeGroup(group: string): string {
  return group === 'DEFAULT' ? group : group.toLowerCase();
}

function confError(file: string, line: number, what: string): DbError {
  return new DbError('config', `${file}:${line}: ${what}`);
}

/** oslo `BaseParser.parse` + `ConfigParser.assignment`. Throws DbError 'config' with file:line. */
export function parseConfText(text: string, file: string): ConfFile {
  const sections: ConfSections = new Map();
  let section: Map<string, ConfEntry[]> | null = null;
  let key: string | null = null;
  let value: string[] = [];
  let keyLine = 0;

  const flush = () => {
    if (key === null) return;
    if (section === null) throw confError(file, keyLine, 'Section must be started before assignment');
    let list = section.get(key);
    if (!list) section.set(key, (list = []));
    list.push({ value: value.join('\n'), file, line: keyLine });
    key = null;
    value = [];
  };

  // Python opens the file with universal newlines: '\r\n', '\r' and '\n' all end a line.
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    const lineno = i + 1;
    const line = raw.replace(/\s+$/u, '');
    if (!line) {
      flush(); // a blank line ends a multi-line value
      return;
    }
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (key === null) throw confError(file, lineno, `Unexpected continuation line: ${JSON.stringify(line)}`);
      value.push(line.replace(/^\s+/u, ''));
      return;
    }
    flush();
    if (line.startsWith('[')) {
      if (!line.endsWith(']')) throw confError(file, lineno, 'Invalid section (must end with ])');
      if (line.length <= 2) throw confError(file, lineno, 'Empty section name');
      const name = normalizeGroup(line.slice(1, -1));
      section = sections.get(name) ?? new Map();
      sections.set(name, section);
    } else if (line.startsWith('#') || line.startsWith(';')) {
      // whole-line comment
    } else {
      const colon = line.indexOf(':');
      const equal = line.indexOf('=');
      if (colon < 0 && equal < 0) throw confError(file, lineno, "No ':' or '=' found in assignment");
      const at = colon < 0 || (equal >= 0 && equal < colon) ? equal : colon;
      const k = line.slice(0, at).trim();
      let v = line.slice(at + 1).trim();
      if (v && v[0] === v[v.length - 1] && (v[0] === '"' || v[0] === "'")) v = v.slice(1, -1);
      if (!k) throw confError(file, lineno, 'Key cannot be empty');
      key = k;
      value = [v];
      keyLine = lineno;
    }
  });
  flush();
  return { file, sections };
}

/** An option and the older names oslo still accepts for it (current name first). */
export type OptNames = readonly (readonly [group: string, key: string])[];

// oslo.db's `connection` option with its deprecated names; nova registers a deep copy for [api_database], and the
// deprecated names keep their own groups, so `[DEFAULT] sql_connection` feeds both.
const LEGACY_CONNECTION_NAMES = [
  ['DEFAULT', 'sql_connection'],
  ['database', 'sql_connection'],
  ['sql', 'connection'],
] as const;
export const DATABASE_CONNECTION: OptNames = [['database', 'connection'], ...LEGACY_CONNECTION_NAMES];
export const API_DATABASE_CONNECTION: OptNames = [['api_database', 'connection'], ...LEGACY_CONNECTION_NAMES];

export interface ConfValue {
  /** After `$` substitution. */
  value: string;
  /** Where the winning assignment is written. */
  file: string;
  line: number;
  group: string;
  key: string;
}

export class NovaConf {
  /** Files in the order read; later files win. */
  readonly files: readonly string[];
  private readonly parsed: readonly ConfFile[];

  constructor(parsed: readonly ConfFile[]) {
    this.parsed = parsed;
    this.files = parsed.map((p) => p.file);
  }

  /** The winning raw assignment: newest file holding any of the names; inside a file the first name wins. */
  private lookupRaw(names: OptNames): (ConfEntry & { group: string; key: string }) | null {
    for (let i = this.parsed.length - 1; i >= 0; i--) {
      const sections = this.parsed[i]!.sections;
      for (const [group, key] of names) {
        const list = sections.get(normalizeGroup(group))?.get(key);
        const last = list?.[list.length - 1];
        if (last) return { ...last, group: normalizeGroup(group), key };
      }
    }
    return null;
  }

  /** A StrOpt's value as nova would see it (last assignment wins, `$` substituted); null when not set. */
  get(names: OptNames): ConfValue | null {
    const raw = this.lookupRaw(names);
    if (!raw) return null;
    // oslo substitutes in the option's own group, even when the value was found under a deprecated name.
    const group = normalizeGroup(names[0]?.[0] ?? 'DEFAULT');
    return { ...raw, value: this.substitute(raw.value, group, raw, new Set([`${raw.group}.${raw.key}`])) };
  }

  /**
   * oslo `ConfigOpts._substitute`: string.Template with idpattern `[_a-z][._a-z0-9]*` (case-insensitive),
   * `\$` and `$$` give `$`. `$name` is looked up in the same group, then in DEFAULT; `${group.opt}` in that group.
   * nova would also see registered defaults we cannot know, so an unset name is an error, not an empty string.
   */
  private substitute(value: string, group: string, at: ConfEntry, seen: Set<string>): string {
    const text = value.replaceAll('\\$', () => '$$'); // a function: '$$' in a replacement string is one '$'
    return text.replace(/\$(?:(\$)|([_a-z][._a-z0-9]*)|\{([_a-z][._a-z0-9]*)\})/gi, (whole, dollar, named, braced) => {
      if (dollar) return '$';
      const name: string = named ?? braced;
      const dot = name.indexOf('.');
      const candidates: OptNames =
        dot >= 0
          ? [
              [name.slice(0, dot), name.slice(dot + 1)],
              ['DEFAULT', name],
            ]
          : [
              [group, name],
              ['DEFAULT', name],
            ];
      for (const [g, k] of candidates) {
        const ref = this.lookupRawExact(g, k);
        if (!ref) continue;
        const id = `${normalizeGroup(g)}.${k}`;
        if (seen.has(id)) throw confError(at.file, at.line, `'${whole}' refers to itself`);
        return this.substitute(ref.value, normalizeGroup(g), ref, new Set([...seen, id]));
      }
      throw confError(
        at.file,
        at.line,
        // Not quoted: in a connection URL, '$name' is most likely part of the password.
        `a '$' reference in the value is not set in the config files; if the '$' is part of a password, write it as '$$'`,
      );
    });
  }

  private lookupRawExact(group: string, key: string): ConfEntry | null {
    for (let i = this.parsed.length - 1; i >= 0; i--) {
      const list = this.parsed[i]!.sections.get(normalizeGroup(group))?.get(key);
      const last = list?.[list.length - 1];
      if (last) return last;
    }
    return null;
  }
}

async function readConf(file: string): Promise<ConfFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'file not found'
        : code === 'EACCES'
          ? 'permission denied (run as root or as a user that can read nova.conf)'
          : code === 'EISDIR'
            ? 'is a directory (use --config-dir for directories)'
            : String(code ?? e);
    throw new DbError('config', `${file}: cannot read config: ${why}`);
  }
  return parseConfText(text, file);
}

/** The `*.conf` files of a config dir, sorted like Python's `sorted(glob('*.conf'))` (code-point order). */
export async function configDirFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DbError(
      'config',
      `${dir}: cannot read config dir: ${code === 'ENOENT' ? 'not found' : String(code ?? e)}`,
    );
  }
  // glob('*.conf') skips dot files; Python sorts by code point, not locale.
  return names
    .filter((n) => n.endsWith('.conf') && !n.startsWith('.'))
    .map((n) => join(dir, n))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Read config files (in order, like repeated `--config-file`) and then config dirs (like `--config-dir`, each
 * dir's `*.conf` sorted). A missing file is an error, as it is for nova.
 */
export async function loadNovaConf(
  configFiles: readonly string[],
  configDirs: readonly string[] = [],
): Promise<NovaConf> {
  const files = [...configFiles];
  for (const dir of configDirs) files.push(...(await configDirFiles(dir)));
  const parsed: ConfFile[] = [];
  for (const f of files) parsed.push(await readConf(f));
  return new NovaConf(parsed);
}
