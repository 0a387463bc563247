// The built-in demo: a private MariaDB holding a nova cloud made by nova's own code, and a scheduler log
// emitted by nova's own filters against that cloud. Everything lives in one temp dir that stop() removes.
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCloudServer } from '../db/loadCloud.js';
import type { DoctorConfig } from './types.js';

export const DEMO_LOG = fileURLToPath(new URL('../../test/fixtures/nova/logs/scheduler-zed.log', import.meta.url));

export interface DemoEnvironment {
  config: DoctorConfig;
  dir: string;
  configFile: string;
  logFile: string;
  /** The server's pid, for `kill` once a kept demo is no longer wanted. */
  pid: number;
  stop(): Promise<void>;
  /** Leave the server running after we exit (--keep). */
  keep(): void;
}

export async function startDemo(onStep: (text: string) => void = () => {}): Promise<DemoEnvironment> {
  onStep('starting a private MariaDB and loading the demo cloud');
  const { server, cloud } = await startCloudServer();
  try {
    const configFile = join(server.baseDir, 'nova.conf');
    await writeFile(configFile, cloud.novaConf, { mode: 0o600 });
    const logFile = join(server.baseDir, 'nova-scheduler.log');
    await copyFile(DEMO_LOG, logFile);
    const config: DoctorConfig = {
      logs: [logFile],
      db: { configFiles: [configFile], configDirs: [], apiDbUrl: null, cellDbUrls: [] },
      all: true,
      readOnly: false,
      hvType: null,
      since: null,
      until: null,
      // Its journals go with its database: none is left under ~/.local/state pointing at a server that is gone.
      journalDir: server.baseDir,
    };
    return {
      config,
      dir: server.baseDir,
      configFile,
      logFile,
      pid: server.pid,
      stop: () => server.stop(),
      keep: () => server.detach(),
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}
