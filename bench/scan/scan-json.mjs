#!/usr/bin/env node
// Drives the scanner API directly (until `nova-doctor scan --json` is wired): prints the report as JSON.
// Usage: node bench/scan/scan-json.mjs [--workers N] [--since T] [--until T] FILE... (or - for stdin)
import { scanLogs } from '../../dist/logscan/index.js';

const args = process.argv.slice(2);
const opts = {};
const files = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--workers') opts.workers = Number(args[++i]);
  else if (a === '--since') opts.since = args[++i];
  else if (a === '--until') opts.until = args[++i];
  else if (a === '--engine') opts.engine = args[++i];
  else files.push(a);
}
const report = await scanLogs(files, opts);
process.stdout.write(`${JSON.stringify(report)}\n`);
