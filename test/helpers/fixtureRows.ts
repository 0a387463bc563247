// Rows of the fixture dumps (test/fixtures/nova/cloud/*.sql, mariadb-dump output) read without a server, for pure
// tests that want nova's own text (request specs, system metadata) rather than hand-written imitations.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CLOUD = fileURLToPath(new URL('../fixtures/nova/cloud/', import.meta.url));

export type SqlValue = string | number | null;

const ESCAPES: Record<string, string> = { '0': '\0', b: '\b', n: '\n', r: '\r', t: '\t', Z: '\x1a' };

/** Parse the value tuples of `INSERT INTO t VALUES (...),(...);` as mariadb-dump writes them. */
function parseTuples(text: string, start: number): { rows: SqlValue[][]; end: number } {
  const rows: SqlValue[][] = [];
  let i = start;
  let row: SqlValue[] | null = null;
  while (i < text.length) {
    const c = text[i] as string;
    if (row === null) {
      if (c === '(') row = [];
      else if (c === ';') return { rows, end: i };
      i++;
      continue;
    }
    if (c === ')') {
      rows.push(row);
      row = null;
      i++;
    } else if (c === ',' || c === '\n') {
      i++;
    } else if (c === "'") {
      let s = '';
      i++;
      for (;;) {
        const d = text[i] as string;
        if (d === '\\') {
          const e = text[i + 1] as string;
          s += ESCAPES[e] ?? e;
          i += 2;
        } else if (d === "'") {
          if (text[i + 1] === "'") {
            s += "'";
            i += 2;
          } else {
            i++;
            break;
          }
        } else {
          s += d;
          i++;
        }
      }
      row.push(s);
    } else {
      const m = /^(NULL|-?[\d.eE+-]+)/.exec(text.slice(i, i + 40));
      if (!m?.[1]) throw new Error(`unexpected ${JSON.stringify(text.slice(i, i + 20))} in dump`);
      row.push(m[1] === 'NULL' ? null : Number(m[1]));
      i += m[1].length;
    }
  }
  return { rows, end: i };
}

/** Every row of `table` in `<dump>.sql` (dump: api, cell0, cell1, cell2), as objects keyed by column name. */
export function dumpRows(dump: 'api' | 'cell0' | 'cell1' | 'cell2', table: string): Record<string, SqlValue>[] {
  const text = readFileSync(`${CLOUD}${dump}.sql`, 'utf8');
  const create = text.indexOf(`CREATE TABLE \`${table}\` (`);
  if (create < 0) throw new Error(`no table ${table} in ${dump}.sql`);
  const body = text.slice(create, text.indexOf('\n) ', create));
  const columns = [...body.matchAll(/^ {2}`([^`]+)` /gm)].map((m) => m[1] as string);
  const out: Record<string, SqlValue>[] = [];
  let at = text.indexOf(`INSERT INTO \`${table}\` VALUES`, create);
  while (at >= 0) {
    const { rows, end } = parseTuples(text, at + `INSERT INTO \`${table}\` VALUES`.length);
    for (const r of rows) out.push(Object.fromEntries(columns.map((c, i) => [c, r[i] ?? null])));
    at = text.indexOf(`INSERT INTO \`${table}\` VALUES`, end);
    if (at > text.indexOf('UNLOCK TABLES', end)) break;
  }
  return out;
}

/** request_specs.spec of an instance, exactly as nova stored it. */
export function fixtureSpec(instanceUuid: string): string {
  const row = dumpRows('api', 'request_specs').find((r) => r.instance_uuid === instanceUuid);
  if (!row || typeof row.spec !== 'string') throw new Error(`no request spec for ${instanceUuid} in api.sql`);
  return row.spec;
}
