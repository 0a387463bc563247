// One error type for everything the database layer can tell an operator. The message is one line that names the
// database (masked URL or config file) and says what to try; it never contains a password.

export type DbErrorKind =
  | 'config' // nova.conf missing, unreadable or malformed
  | 'url' // a database URL that cannot be parsed or is not MySQL
  | 'auth' // wrong user or password
  | 'unreachable' // refused, timed out, unknown host, missing socket
  | 'no-database' // the database named in the URL does not exist or is not granted
  | 'permission' // connected, but a SELECT was refused
  | 'not-nova' // the tables nova keeps are not there
  | 'schema' // nova tables with columns we do not know
  | 'query' // any other server error
  | 'server-missing'; // mariadbd / mariadb-install-db not installed (private server)

export class DbError extends Error {
  override readonly name = 'DbError';
  constructor(
    readonly kind: DbErrorKind,
    message: string,
  ) {
    super(message);
  }
}
