// The single executable's entry (bundled by src/sea/build.mjs): what bin/nova-doctor.js does, in the same
// order, for a program that is one script. The launcher's steps are kept as they are there; only the imports
// are static, because an executable's main script is CommonJS (no top-level await) and is all in one file.
import { main } from '../cli/main.js';
import { scrubArgvSecrets } from '../db/scrubArgv.js';
import { prestartScanWorker } from '../logscan/prestart.js';
import { keepYoungGenerationSmall } from '../logscan/scanHeap.js';

// A password in `--api-db URL` is world-readable in /proc/PID/cmdline: mask it first. An executable's argv[1] is
// argv[0] again (where node's is the script): once is what was typed.
scrubArgvSecrets([process.argv0, ...process.argv.slice(2)]);

// The demo's cloud and log are the source tree's fixtures, which the executable does not carry.
if (process.argv[2] === 'demo') {
  process.stderr.write('nova-doctor: the demo needs the source tree: run `node bin/nova-doctor.js demo` there\n');
  process.exit(2);
}

// React's production build: the bundle has no other (NODE_ENV is "production" at build time, as the launcher sets it).

// `scan`: a young generation that stays small, and for big logs the scan worker booted now (the launcher says why).
if (process.argv[2] === 'scan') {
  keepYoungGenerationSmall();
  prestartScanWorker(process.argv.slice(3));
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`nova-doctor: internal error: ${err?.stack ?? err}\n`);
    process.exitCode = 70;
  },
);
