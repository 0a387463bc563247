#!/usr/bin/env node
// Drives the scanner API directly, as `scan --json` does (streamed report, written piece by piece).
// Usage: node bench/scan/scan-json.mjs [--workers N] [--since T] [--until T] [--spill BYTES] [--range BYTES] FILE...
import { reportJsonPieces, scanLogsStreamed } from '../../dist/logscan/index.js';
import { keepYoungGenerationSmall } from '../../dist/logscan/scanHeap.js';

keepYoungGenerationSmall(); // as the CLI's scan does

const args = process.argv.slice(2);
const opts = {};
const files = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--workers' || a === '--threads') opts.workers = Number(args[++i]);
  else if (a === '--since') opts.since = args[++i];
  else if (a === '--until') opts.until = args[++i];
  else if (a === '--engine') opts.engine = args[++i];
  else if (a === '--spill') opts.spillAfterBytes = Number(args[++i]);
  else if (a === '--range') opts.rangeBytes = Number(args[++i]);
  else files.push(a);
}
const scanned = await scanLogsStreamed(files, opts);
try {
  let buf = '';
  for (const piece of reportJsonPieces(scanned.report)) {
    buf += piece;
    if (buf.length >= 1 << 16) {
      process.stdout.write(buf);
      buf = '';
    }
  }
  process.stdout.write(`${buf}\n`);
} finally {
  scanned.close();
}
