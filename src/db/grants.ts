// Which privileges the repair needs and which of them the connected user lacks, from SHOW GRANTS: so a repair
// with a read-only account says exactly what to grant before it writes anything, instead of failing halfway
// through a change set with "UPDATE command denied".
import type { Connection, RowDataPacket } from 'mysql2/promise';

export type Privilege = 'SELECT' | 'UPDATE' | 'INSERT' | 'DELETE';

export interface GrantNeed {
  database: string;
  table: string;
  privileges: Privilege[];
}

/** What a repair (and its undo) does: CAS updates; sysmeta rows are hard-deleted and re-inserted by --hv-type remove and its undo. */
export function repairGrantNeeds(databases: { api: string; cells: readonly string[] }): GrantNeed[] {
  return [
    { database: databases.api, table: 'request_specs', privileges: ['SELECT', 'UPDATE'] },
    ...databases.cells.flatMap((db): GrantNeed[] => [
      { database: db, table: 'instances', privileges: ['SELECT', 'UPDATE'] },
      { database: db, table: 'instance_system_metadata', privileges: ['SELECT', 'UPDATE', 'INSERT', 'DELETE'] },
      { database: db, table: 'block_device_mapping', privileges: ['SELECT', 'UPDATE'] },
    ]),
  ];
}

export interface MissingGrant {
  database: string;
  table: string;
  privilege: Privilege;
}

interface ParsedGrant {
  privileges: Set<string>;
  db: string; // '*' or a (possibly wildcard) name
  table: string; // '*' or a name
}

function unquote(ident: string): string {
  return ident.startsWith('`') ? ident.slice(1, -1).replaceAll('``', '`') : ident;
}

const GRANT =
  /^GRANT (.+?) ON (?:(?:TABLE|PROCEDURE|FUNCTION|PACKAGE|PACKAGE BODY) )?(\*|`(?:[^`]|``)*`|\w+)\.(\*|`(?:[^`]|``)*`|\w+) TO /;

/** The privilege lines of SHOW GRANTS output (role and proxy grant lines are skipped: see missingRepairGrants). */
export function parseGrants(lines: readonly string[]): ParsedGrant[] {
  const out: ParsedGrant[] = [];
  for (const line of lines) {
    const m = GRANT.exec(line);
    if (!m) continue;
    // Column grants, e.g. "UPDATE (value)", cover only some columns: the repair's CAS needs the whole column set it
    // writes, so a column grant is not taken as a table grant.
    const privileges = new Set(
      m[1]!
        .split(/,\s*(?![^(]*\))/)
        .map((p) => p.trim().toUpperCase())
        .filter((p) => !p.includes('(')),
    );
    out.push({ privileges, db: unquote(m[2]!), table: unquote(m[3]!) });
  }
  return out;
}

/** MySQL database-name patterns in grants: % and _ are wildcards unless escaped with a backslash. */
function dbMatches(pattern: string, db: string): boolean {
  if (pattern === '*') return true;
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (c === '%') re += '.*';
    else if (c === '_') re += '.';
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'i').test(db);
}

function covers(g: ParsedGrant, need: GrantNeed, p: Privilege): boolean {
  if (!(g.privileges.has(p) || g.privileges.has('ALL PRIVILEGES') || g.privileges.has('ALL'))) return false;
  if (g.db === '*' && g.table === '*') return true;
  if (!dbMatches(g.db, need.database)) return false;
  return g.table === '*' || g.table.toLowerCase() === need.table.toLowerCase();
}

/** The privileges in `needs` that no grant in `lines` covers. */
export function missingFromGrants(lines: readonly string[], needs: readonly GrantNeed[]): MissingGrant[] {
  const grants = parseGrants(lines);
  const missing: MissingGrant[] = [];
  for (const need of needs) {
    for (const p of need.privileges) {
      if (!grants.some((g) => covers(g, need, p)))
        missing.push({ database: need.database, table: need.table, privilege: p });
    }
  }
  return missing;
}

/**
 * What the connected user lacks for a repair of these databases (empty: all granted). Plain SHOW GRANTS: in
 * MariaDB it lists the user's grants and those of the role the session has enabled (SET ROLE, or the user's
 * default role) and of every role granted to that one, which is what the server checks writes against (SHOW
 * GRANTS FOR CURRENT_USER() leaves the roles out, and SHOW GRANTS FOR a nested role needs SELECT on mysql.*).
 */
export async function missingRepairGrants(
  conn: Connection,
  databases: { api: string; cells: readonly string[] },
): Promise<MissingGrant[]> {
  const [rows] = await conn.query<RowDataPacket[]>({ sql: 'SHOW GRANTS', rowsAsArray: true });
  const lines = (rows as unknown as unknown[][]).map((r) => String(r[0]));
  return missingFromGrants(lines, repairGrantNeeds(databases));
}

/** One line for the operator: what is missing and the GRANT statements that would fix it. */
export function describeMissingGrants(missing: readonly MissingGrant[], user = "'nova'@'%'"): string {
  const byTable = new Map<string, Privilege[]>();
  for (const m of missing) {
    const key = `\`${m.database}\`.\`${m.table}\``;
    byTable.set(key, [...(byTable.get(key) ?? []), m.privilege]);
  }
  const grants = [...byTable].map(([t, ps]) => `GRANT ${ps.join(', ')} ON ${t} TO ${user};`);
  return `the database user lacks privileges the repair needs (nothing was written): ${grants.join(' ')}`;
}
