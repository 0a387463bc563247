#!/usr/bin/env node
// The real TUI (node bin/nova-doctor.js --config … --all) over a grown cloud, in a real terminal (tmux, polled
// every 10 ms): when the first rows show while the sweep runs, when it is ready, its peak RSS and CPU time
// (/usr/bin/time), then keypress latencies on the full list (j, G, g, s through every sort key, S, Enter into an
// instance and Esc back, a filter keystroke), next to the CLI sweep (`trace --all --json > /dev/null`) on the same
// cloud. The figures include the 10 ms polling.
// usage: node bench/tui/run.mjs is the in-process bench; this one needs a cloud:
//   node bench/trace/run.mjs --shell --specs 100000 --nova-size &   # prints the nova.conf to use
//   node bench/tui/cloud.mjs NOVA_CONF [--runs 3] [--no-cli] [--bin OTHER/bin/nova-doctor.js]
// --bin runs another build's launcher (a copy of an older dist/, for A/B runs on the same cloud); --cpu-prof DIR
// writes the TUI's CPU profile there (its keys are the last seconds of it: "keysFromEndMs" says how many).
// Each key's figures are also given as the TUI process's CPU time (all its threads, /proc/PID/task/*/schedstat)
// and the time its threads waited for a CPU while the key was handled: on a shared machine the wall time is
// the CPU time plus that wait plus the polling, and only the CPU time is the program's own.
// --gc-log logs the TUI's garbage collections (bench/tui/gclog.mjs) and adds "gc": the collections that fell within
// the keys (count and ms per kind) and every key slower than 50 ms with the collections it waited for
// (m: scavenge, i: incremental marking's final pause, w: weak callbacks; ms@ms after the key was sent).
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const conf = process.argv[2];
if (!conf || !existsSync(conf)) {
  console.error('usage: node bench/tui/cloud.mjs NOVA_CONF [--runs 3] [--no-cli] [--bin PATH]');
  process.exit(2);
}
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg('runs', 3);
const binAt = process.argv.indexOf('--bin');
const BIN = binAt > 0 ? process.argv[binAt + 1] : join(root, 'bin/nova-doctor.js');
const profAt = process.argv.indexOf('--cpu-prof');
const PROF = profAt > 0 ? `--cpu-prof --cpu-prof-dir=${process.argv[profAt + 1]} ` : '';
const GC_LOG = process.argv.includes('--gc-log');
const WIDTH = 140;
const HEIGHT = 40;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

function timed(args) {
  const t0 = now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', process.execPath, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  const ms = now() - t0;
  const [rss, user, sys] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { ms, rssMiB: rss / 1024, cpuMs: (user + sys) * 1000 };
}

/** The node process under the tmux pane (below /usr/bin/time and any shell). */
function nodeUnder(pid) {
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift();
    try {
      if (readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'node') return p;
      for (const t of readdirSync(`/proc/${p}/task`)) {
        queue.push(...readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
      }
    } catch {} // gone meanwhile
  }
  return null;
}

/** ns on a CPU, summed over the process's threads (GC helpers too), and ns its main thread waited for one. */
function schedstat(pid) {
  let run = 0;
  let wait = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const [r, w] = readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ').map(Number);
      run += r;
      if (Number(t) === pid) wait = w;
    } catch {} // a thread that ended meanwhile
  }
  return { run, wait };
}

async function tuiRun() {
  const name = `ndb-${randomBytes(4).toString('hex')}`;
  const timeFile = join(tmpdir(), `${name}.time`);
  const gcFile = join(tmpdir(), `${name}.gc`);
  const env = { ...process.env, TERM: 'xterm-256color' };
  if (GC_LOG) {
    env.GCLOG = gcFile;
    env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --import ${join(root, 'bench/tui/gclog.mjs')}`;
  }
  delete env.CI;
  delete env.TMUX;
  // A server of our own (-L): never another engineer's tmux.
  const tmux = (...a) => execFileSync('tmux', ['-L', name, ...a], { env, encoding: 'utf8' });
  const cmd = `/usr/bin/time -f '%M %U %S' -o ${timeFile} ${process.execPath} ${PROF}${BIN} --config ${conf} --all`;
  const t0 = now();
  tmux('new-session', '-d', '-s', name, '-x', String(WIDTH), '-y', String(HEIGHT), '-c', root, cmd);
  const screen = () => tmux('capture-pane', '-p', '-t', name);
  const rowsOf = (s) => s.split('\n').filter((l) => /^[› ] /.test(l) && UUID.test(l));
  const selected = (s) => (s.split('\n').find((l) => l.startsWith('›')) ?? '').match(UUID)?.[0] ?? null;
  const waitFor = async (pred, what, timeoutMs = 180_000) => {
    const end = now() + timeoutMs;
    while (now() < end) {
      const s = screen();
      if (pred(s)) return { at: now(), s };
      await sleep(10);
    }
    throw new Error(`no ${what}:\n${screen()}`);
  };
  try {
    const first = await waitFor((s) => rowsOf(s).length > 0, 'first rows');
    const firstStatus = first.s.split('\n')[1]?.slice(0, 40);
    const ready = await waitFor((s) => /^ready/m.test(s.split('\n')[1] ?? ''), 'ready');
    const count = ready.s.split('\n')[2]?.match(/^([\d,]+) instances/)?.[1];
    const keysFrom = now();
    const pid = nodeUnder(Number(tmux('display-message', '-p', '-t', name, '#{pane_pid}').trim()));
    const costs = new Map(); // wall ms -> { cpu, wait } ms, per key
    const sent = []; // each key: what, when it was sent (epoch ms), its wall ms
    const press = async (keys, pred, what, literal = false) => {
      await sleep(60);
      const before = schedstat(pid);
      const t = now();
      tmux('send-keys', '-t', name, ...(literal ? ['-l'] : []), ...keys);
      const wall = (await waitFor(pred, what, 20_000)).at - t;
      const after = schedstat(pid);
      costs.set(wall, { cpu: (after.run - before.run) / 1e6, wait: (after.wait - before.wait) / 1e6 });
      sent.push({ what, at: performance.timeOrigin + t, wall });
      return wall;
    };
    const cpu = (xs) => +med(xs.map((x) => costs.get(x).cpu)).toFixed(1);
    const waited = (xs) => +med(xs.map((x) => costs.get(x).wait)).toFixed(1);
    const j = [];
    for (let i = 0; i < 10; i++) {
      const before = selected(screen());
      j.push(await press(['j'], (s) => selected(s) !== null && selected(s) !== before, 'j'));
    }
    const jumps = [];
    for (let i = 0; i < 3; i++) {
      let before = selected(screen());
      jumps.push(await press(['G'], (s) => selected(s) !== before && /rows [\d,]+–/.test(s), 'G'));
      before = selected(screen());
      jumps.push(await press(['g'], (s) => selected(s) !== before, 'g'));
    }
    const sortLine = (s) => s.split('\n').find((l) => l.startsWith('sort: ')) ?? '';
    const sorts = [];
    for (const label of ['last rejection', 'hosts rejected', 'cell', 'uuid', 'status']) {
      sorts.push(await press(['s'], (s) => sortLine(s).startsWith(`sort: ${label} ·`), `sort ${label}`));
    }
    const reverses = [];
    for (let i = 0; i < 4; i++) {
      const want = i % 2 === 0;
      reverses.push(
        await press(['S'], (s) => sortLine(s).includes('(reversed)') === want && /^sort: /.test(sortLine(s)), 'S'),
      );
    }
    const opens = [];
    for (let i = 0; i < 3; i++) {
      opens.push(await press(['Enter'], (s) => s.includes('[Evidence]'), 'detail'));
      opens.push(await press(['Escape'], (s) => sortLine(s) !== '' && !s.includes('[Evidence]'), 'list again'));
    }
    await press(['/'], (s) => s.split('\n').some((l) => l.startsWith('/')), 'filter field');
    const keys = [];
    let typed = '';
    for (const ch of 'ab12') {
      typed += ch;
      const want = `filter: ${typed} →`;
      keys.push(await press([ch], (s) => s.includes(want), want, true));
    }
    tmux('send-keys', '-t', name, 'Escape');
    await sleep(200);
    tmux('send-keys', '-t', name, 'q');
    const end = now() + 20_000;
    while (now() < end && !(existsSync(timeFile) && readFileSync(timeFile, 'utf8').trim())) await sleep(50);
    const keysFromEndMs = Math.round(now() - keysFrom);
    const [rss, user, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
    const gc = GC_LOG ? gcDuringKeys(readFileSync(gcFile, 'utf8'), sent, costs) : null;
    return {
      firstRowsMs: Math.round(first.at - t0),
      firstStatus,
      ...(PROF ? { keysFromEndMs } : {}),
      readyMs: Math.round(ready.at - t0),
      listed: count,
      peakRssMiB: +(rss / 1024).toFixed(0),
      cpuMs: Math.round((user + sys) * 1000),
      jMs: +med(j).toFixed(0),
      jCpuMs: cpu(j),
      jWaitMs: waited(j),
      jMaxMs: +Math.max(...j).toFixed(0),
      // Each j in order, wall/CPU ms: the first ones come while what the keys want is still being prepared.
      jEach: j.map((x) => `${x.toFixed(0)}/${costs.get(x).cpu.toFixed(0)}`).join(' '),
      GgMs: +med(jumps).toFixed(0),
      GgCpuMs: cpu(jumps),
      GgWaitMs: waited(jumps),
      GgMaxMs: +Math.max(...jumps).toFixed(0),
      sMs: +med(sorts).toFixed(0),
      sCpuMs: cpu(sorts),
      sWaitMs: waited(sorts),
      sMaxMs: +Math.max(...sorts).toFixed(0),
      SMs: +med(reverses).toFixed(0),
      SCpuMs: cpu(reverses),
      SWaitMs: waited(reverses),
      SMaxMs: +Math.max(...reverses).toFixed(0),
      openMs: +med(opens).toFixed(0),
      openCpuMs: cpu(opens),
      openWaitMs: waited(opens),
      openMaxMs: +Math.max(...opens).toFixed(0),
      filterKeyMs: +med(keys).toFixed(0),
      filterKeyCpuMs: cpu(keys),
      filterKeyWaitMs: waited(keys),
      filterKeyMaxMs: +Math.max(...keys).toFixed(0),
      ...(gc ? { gc } : {}),
    };
  } finally {
    try {
      tmux('kill-server');
    } catch {} // gone already: the TUI exited and its session with it
    rmSync(timeFile, { force: true });
    rmSync(gcFile, { force: true });
    // The socket file outlives its server; where tmux puts it (asking the server fails once it has gone).
    rmSync(join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid()}`, name), { force: true });
  }
}

/** The collections (gclog.mjs lines) that overlapped the keys, by kind, and the slow keys with theirs. */
function gcDuringKeys(log, sent, costs) {
  const gcs = log
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' '))
    .map(([at, kind, ms]) => ({ at: Number(at), kind, ms: Number(ms) }));
  const within = (g, k) => g.at + g.ms >= k.at && g.at < k.at + k.wall;
  const byKind = {};
  for (const g of gcs.filter((g) => sent.some((k) => within(g, k)))) {
    const b = (byKind[g.kind] ??= { count: 0, ms: 0 });
    b.count++;
    b.ms = +(b.ms + g.ms).toFixed(1);
  }
  const slow = sent
    .filter((k) => k.wall > 50)
    .map((k) => {
      const waited = gcs
        .filter((g) => within(g, k))
        .map((g) => `${g.kind[0]}${g.ms.toFixed(0)}@${(g.at - k.at).toFixed(0)}`);
      return `${k.what} ${k.wall.toFixed(0)}/${costs.get(k.wall).cpu.toFixed(0)}: ${waited.join(',') || 'no gc'}`;
    });
  return { duringKeys: byKind, slowKeys: slow };
}

const cli = [];
const tui = [];
for (let i = 0; i < RUNS; i++) {
  if (!process.argv.includes('--no-cli')) {
    const c = timed([BIN, 'trace', '--all', '--json', '--config', conf]);
    cli.push(c);
    console.log(
      JSON.stringify({
        cli: { ms: Math.round(c.ms), cpuMs: Math.round(c.cpuMs), rssMiB: +c.rssMiB.toFixed(0) },
        load: +loadavg()[0].toFixed(2),
      }),
    );
  }
  const t = await tuiRun();
  tui.push(t);
  console.log(JSON.stringify({ tui: t, load: +loadavg()[0].toFixed(2) }));
}
const m = (xs, k) => med(xs.map((x) => x[k]));
if (cli.length)
  console.log(
    `CLI sweep median ${Math.round(m(cli, 'ms'))} ms (cpu ${Math.round(m(cli, 'cpuMs'))} ms, RSS ${m(cli, 'rssMiB').toFixed(0)} MiB)`,
  );
console.log(
  `TUI medians of ${RUNS}: first rows ${m(tui, 'firstRowsMs')} ms, ready ${m(tui, 'readyMs')} ms` +
    (cli.length ? ` (${(m(tui, 'readyMs') / m(cli, 'ms')).toFixed(2)}× the CLI sweep)` : '') +
    `, cpu ${m(tui, 'cpuMs')} ms, peak RSS ${m(tui, 'peakRssMiB')} MiB; j ${m(tui, 'jMs')} ms, G/g ${m(tui, 'GgMs')} ms, s ${m(tui, 'sMs')} ms, S ${m(tui, 'SMs')} ms, Enter/Esc ${m(tui, 'openMs')} ms, filter key ${m(tui, 'filterKeyMs')} ms` +
    ` (TUI CPU per key: j ${m(tui, 'jCpuMs')}, G/g ${m(tui, 'GgCpuMs')}, s ${m(tui, 'sCpuMs')}, S ${m(tui, 'SCpuMs')}, Enter/Esc ${m(tui, 'openCpuMs')}, filter ${m(tui, 'filterKeyCpuMs')} ms;` +
    ` waiting for a CPU: j ${m(tui, 'jWaitMs')}, G/g ${m(tui, 'GgWaitMs')}, s ${m(tui, 'sWaitMs')}, S ${m(tui, 'SWaitMs')}, Enter/Esc ${m(tui, 'openWaitMs')}, filter ${m(tui, 'filterKeyWaitMs')} ms); load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
);
