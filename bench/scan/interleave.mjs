// What bench/scan/ab.mjs and lines.mjs share: their options, and old and new builds run in turn (base, new, base,
// new, …) so a change in the machine's load hits both alike, with the load average before each run.
import { readFileSync } from 'node:fs';

/** Takes `--name value` out of `args` (so what is left is the positional arguments); `def` when absent. */
export function takeOption(args, name, def) {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** `measure(build, key)` for every build, `runs` rounds in turn: { seen: { key: [results] }, loads }. */
export function interleaved(builds, runs, measure) {
  const seen = Object.fromEntries(Object.keys(builds).map((k) => [k, []]));
  const loads = [];
  for (let i = 0; i < runs; i++)
    for (const [k, b] of Object.entries(builds)) {
      loads.push(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
      seen[k].push(measure(b, k));
    }
  return { seen, loads };
}
