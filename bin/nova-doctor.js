#!/usr/bin/env node
// Launcher only: everything lives in the compiled CLI.
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`nova-doctor: internal error: ${err?.stack ?? err}\n`);
    process.exitCode = 70;
  },
);
