// A private MariaDB per test file: started in beforeAll, stopped in afterAll. No skip when MariaDB is missing:
// the suite fails with the install hint, because a database test that silently passes proves nothing.
import { afterAll, beforeAll } from 'vitest';
import { type LoadCloudOptions, type LoadedCloud, startCloudServer } from '../../src/db/loadCloud.js';
import { type PrivateMariadb, type PrivateMariadbOptions, startPrivateMariadb } from '../../src/db/privateMariadb.js';

/** Registers beforeAll/afterAll hooks in the current suite and returns a getter for the running server. */
export function usePrivateMariadb(opts: PrivateMariadbOptions = {}): () => PrivateMariadb {
  let server: PrivateMariadb | null = null;
  beforeAll(async () => {
    server = await startPrivateMariadb(opts);
  });
  afterAll(async () => {
    await server?.stop();
    server = null;
  });
  return () => {
    if (!server) throw new Error('private MariaDB is not running (use it inside a test, after beforeAll)');
    return server;
  };
}

/**
 * A private MariaDB with the fixture cloud loaded (from a cached datadir: about a second after the first time),
 * per test file. The getter returns the server and what loadCloud describes (URLs, nova.conf text, manifest).
 */
export function useCloudServer(opts: LoadCloudOptions & PrivateMariadbOptions = {}): () => {
  server: PrivateMariadb;
  cloud: LoadedCloud;
} {
  let started: { server: PrivateMariadb; cloud: LoadedCloud } | null = null;
  beforeAll(async () => {
    started = await startCloudServer(opts);
  });
  afterAll(async () => {
    await started?.server.stop();
    started = null;
  });
  return () => {
    if (!started) throw new Error('cloud server is not running (use it inside a test, after beforeAll)');
    return started;
  };
}
