#!/usr/bin/env node
// Sweep every instance through the database API and print the diagnoses as one JSON document, the way
// `nova-doctor trace --all --json` will. Stands in for the CLI until it is wired; reports its peak RSS on stderr.
// usage: node bench/trace/driver.mjs NOVA_CONF
import { openNova } from '../../dist/db/trace.js';
import { diagnose } from '../../dist/nova/staleness.js';

const conf = process.argv[2];
if (!conf) {
  process.stderr.write('usage: node bench/trace/driver.mjs NOVA_CONF\n');
  process.exit(2);
}
const out = process.stdout;
const write = (s) => (out.write(s) ? undefined : new Promise((r) => out.once('drain', r)));

const nova = await openNova({ configFiles: [conf], configDirs: [], apiDbUrl: null, cellDbUrls: [] });
let n = 0;
let buf = '{"cells": ' + JSON.stringify(nova.cells()) + ', "instances": [';
for await (const snap of nova.sweep()) {
  buf += (n++ ? ', ' : '') + JSON.stringify(diagnose(snap));
  if (buf.length > 1 << 20) {
    await write(buf);
    buf = '';
  }
}
await write(buf + ']}\n');
await nova.close();
process.stderr.write(JSON.stringify({ instances: n, maxRssKiB: process.resourceUsage().maxRSS }) + '\n');
