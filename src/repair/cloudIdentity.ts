// Which cloud a journal was written for. A staging cloud restored from production's dump has the same cell
// uuids, row ids and values as production: only the servers and database names tell them apart. So a journal
// records, for nova_api and each cell it touches, the database name and the server's identity, and undo/resume
// refuse (before any write) a journal whose cloud is not the one they are connected to.
//
// A server's identity is what survives a restart but differs between two servers loaded from the same dump:
//   - MariaDB's @@server_uid (a hash of the port and the machine's MAC address, not stored in the datadir, so a
//     copied datadir does not copy it) or MySQL's @@server_uuid (auto.cnf, made on first start);
//   - @@hostname and @@port;
//   - in a Galera cluster the cluster's state uuid instead (every node has its own hostname and uid, and a
//     cluster bootstrapped from a dump gets a new one).
// Everything known on both sides must agree: refusing a journal of the right cloud (after moving the database
// to a new host) is an inconvenience; accepting one of the wrong cloud undoes someone else's repair.
import type { Connection, RowDataPacket } from 'mysql2/promise';

export interface ServerIdentity {
  /** MariaDB @@server_uid or MySQL @@server_uuid; null when the server has neither. */
  uid: string | null;
  hostname: string | null;
  port: number | null;
  /**
   * @@socket: a server without TCP (skip-networking; @@port is 0, and MariaDB's server_uid, a hash of the port
   * and the MAC, is then the same for every such server of the host) is told apart by its socket.
   */
  socket?: string | null;
  /** wsrep_cluster_state_uuid when the server is a Galera node, else null. */
  galera: string | null;
}

export interface DatabaseLocation {
  /** The database (schema) name. */
  schema: string | null;
  server: ServerIdentity;
}

export interface CloudIdentity {
  api: DatabaseLocation;
  /** The cells the journal was written with (by cell mapping uuid). */
  cells: ({ uuid: string } & DatabaseLocation)[];
}

const known = new WeakMap<Connection, DatabaseLocation>();

async function variables(conn: Connection, sql: string, names: string[]): Promise<Map<string, string>> {
  try {
    const [rows] = await conn.query<RowDataPacket[]>(sql, [names]);
    return new Map(rows.map((r) => [String(r.Variable_name).toLowerCase(), String(r.Value ?? '')]));
  } catch {
    return new Map(); // an old server or a restricted account: the other parts still identify it
  }
}

/** Database name and server identity of a connection (asked once per connection). */
export async function locationOf(conn: Connection): Promise<DatabaseLocation> {
  const cached = known.get(conn);
  if (cached) return cached;
  const [rows] = await conn.query<RowDataPacket[]>(
    'SELECT DATABASE() AS db, @@hostname AS host, @@port AS port, @@socket AS socket',
  );
  const row = rows[0];
  const vars = await variables(conn, 'SHOW GLOBAL VARIABLES WHERE Variable_name IN (?)', ['server_uid', 'server_uuid']);
  const status = await variables(conn, 'SHOW GLOBAL STATUS WHERE Variable_name IN (?)', ['wsrep_cluster_state_uuid']);
  const uid = vars.get('server_uid') || vars.get('server_uuid') || null;
  const galera = status.get('wsrep_cluster_state_uuid') || null;
  const location: DatabaseLocation = {
    schema: row?.db === null || row?.db === undefined ? null : String(row.db),
    server: {
      uid,
      hostname: row?.host === null || row?.host === undefined ? null : String(row.host),
      port: row?.port === null || row?.port === undefined ? null : Number(row.port),
      socket: row?.socket === null || row?.socket === undefined ? null : String(row.socket),
      galera,
    },
  };
  known.set(conn, location);
  return location;
}

/** The identity of the cloud behind a set of repair connections. */
export async function cloudOf(conns: {
  api: Connection;
  cells: ReadonlyMap<string, Connection>;
}): Promise<CloudIdentity> {
  const cells: CloudIdentity['cells'] = [];
  for (const [uuid, conn] of conns.cells) cells.push({ uuid, ...(await locationOf(conn)) });
  return { api: await locationOf(conns.api), cells };
}

export function describeServer(s: ServerIdentity): string {
  const parts = [
    s.port === 0 && s.socket ? `${s.hostname ?? '?'} socket ${s.socket}` : `${s.hostname ?? '?'}:${s.port ?? '?'}`,
  ];
  if (s.galera) parts.push(`galera cluster ${s.galera}`);
  else if (s.uid) parts.push(`server id ${s.uid}`);
  return parts.join(', ');
}

export function describeLocation(l: DatabaseLocation): string {
  return `database ${l.schema ?? '?'} on ${describeServer(l.server)}`;
}

/** Why two servers are not the same one, or null when everything known on both sides agrees. */
export function serverDifference(journaled: ServerIdentity, now: ServerIdentity): string | null {
  if (journaled.galera && now.galera) {
    return journaled.galera === now.galera ? null : 'another Galera cluster';
  }
  if (journaled.uid && now.uid && journaled.uid !== now.uid) return 'another server (server id differs)';
  if (journaled.port === 0 && now.port === 0 && journaled.socket && now.socket && journaled.socket !== now.socket)
    return 'another server (no TCP, and its socket differs)';
  if (journaled.hostname === null || now.hostname === null || journaled.port === null || now.port === null) {
    if (journaled.uid && now.uid) return null;
    return 'the server cannot be identified';
  }
  if (journaled.hostname !== now.hostname || journaled.port !== now.port)
    return 'another server (host or port differs)';
  // A server without TCP is host:0 like every other such server of the host: without its socket or an id, the
  // two cannot be told apart (a version 1 journal recorded only host:port).
  if (now.port === 0 && !(journaled.socket && now.socket) && !(journaled.uid && now.uid))
    return 'the server cannot be identified (no TCP port, and the journal names no socket or server id)';
  return null;
}

/** Why two database locations differ, or null. */
export function locationDifference(journaled: DatabaseLocation, now: DatabaseLocation): string | null {
  if (journaled.schema !== now.schema) return `another database (${journaled.schema ?? '?'} vs ${now.schema ?? '?'})`;
  return serverDifference(journaled.server, now.server);
}
