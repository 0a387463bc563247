#!/usr/bin/env node
// What any Node.js sweep must do at the least, each part alone in a fresh process (run by `bench/trace/run.mjs
// --floors`, which compares each with the mariadb client on the same data):
//   read  SOCKET DB      every spec text through mysql2, as one streamed SELECT (no cell rows, no diagnosis)
//   parse SOCKET DB      the same, and JSON.parse of each text (the least a diagnosis of the spec needs)
//   write RECORDS        trace --all --json's own records (a file `trace --all --json` wrote), each serialised
//                        again and written to /dev/null in 64 KiB pieces: the output's cost alone
// Prints the milliseconds of the part measured (for write: the serialising and writing only, not reading the file).
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../package.json', import.meta.url));
const [mode, a, b] = process.argv.slice(2);

if (mode === 'read' || mode === 'parse') {
  const mysql = require('mysql2');
  const conn = mysql.createConnection({ socketPath: a, user: 'root', database: b, rowsAsArray: true });
  let specs = 0;
  let chars = 0;
  let unreadable = 0;
  const t0 = performance.now();
  conn
    .query('SELECT spec FROM request_specs')
    .stream()
    .on('data', ([spec]) => {
      specs++;
      chars += spec.length;
      if (mode === 'parse') {
        try {
          JSON.parse(spec);
        } catch {
          unreadable++; // the fixture's hostile specs: nova's loader would fail on them too
        }
      }
    })
    .on('end', () => {
      console.log(JSON.stringify({ mode, ms: Math.round(performance.now() - t0), specs, chars, unreadable }));
      conn.end();
    })
    .on('error', (e) => {
      console.error(`floor ${mode}: ${e.message}`);
      process.exit(2);
    });
} else if (mode === 'write') {
  // The records as trace wrote them, one per line inside "instances": [ … ].
  const records = [];
  for (const line of readFileSync(a, 'utf8').split('\n')) {
    if (line.startsWith('{"uuid"')) records.push(JSON.parse(line.endsWith(',') ? line.slice(0, -1) : line));
  }
  if (records.length === 0) {
    console.error(`floor write: no trace records in ${a}`);
    process.exit(2);
  }
  const fd = openSync('/dev/null', 'w');
  const t0 = performance.now();
  let piece = '';
  let bytes = 0;
  for (const r of records) {
    piece += `${JSON.stringify(r)},\n`;
    if (piece.length >= 65536) {
      bytes += writeSync(fd, piece);
      piece = '';
    }
  }
  bytes += writeSync(fd, piece);
  closeSync(fd);
  console.log(JSON.stringify({ mode, ms: Math.round(performance.now() - t0), records: records.length, bytes }));
} else {
  console.error('usage: node bench/trace/floor.mjs read|parse SOCKET DB | write RECORDS_FILE');
  process.exit(2);
}
