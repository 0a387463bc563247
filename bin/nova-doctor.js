#!/usr/bin/env node
// Launcher only: everything lives in the compiled CLI.
// A password in `--api-db URL` is world-readable in /proc/PID/cmdline: mask it before anything else runs.
const { scrubArgvSecrets } = await import('../dist/db/scrubArgv.js');
scrubArgvSecrets();

// React's development build makes the TUI's first frame ~3x slower and records marks on every render.
process.env.NODE_ENV ??= 'production';

// `scan`: a young generation that stays small, and for big logs the scan worker booted now, while the CLI's
// modules load (dist/logscan/prestart.js says why); the scan adopts it, or ends it if it is not needed.
if (process.argv[2] === 'scan') {
  // Before anything allocates much (dist/logscan/scanHeap.js says why).
  const { keepYoungGenerationSmall } = await import('../dist/logscan/scanHeap.js');
  keepYoungGenerationSmall();
  const { prestartScanWorker } = await import('../dist/logscan/prestart.js');
  prestartScanWorker(process.argv.slice(3));
}

const { main } = await import('../dist/cli/main.js');
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`nova-doctor: internal error: ${err?.stack ?? err}\n`);
    process.exitCode = 70;
  },
);
