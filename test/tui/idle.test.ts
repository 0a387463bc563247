// Work ahead of keys runs only once the keyboard has been quiet, in slices, and all of it eventually; against a
// plain model of the clock and its timers.
import { describe, expect, it } from 'vitest';
import { KeyboardQuiet, runWhenQuiet, type Timers } from '../../src/tui/idle.js';

/** A clock and timers that move only when told: timers fire in time order, each at its own time. */
function fakeTime() {
  let t = 0;
  let seq = 0;
  const due = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    set: (fn, ms) => {
      due.set(++seq, { at: t + ms, fn });
      return seq;
    },
    clear: (h) => void due.delete(h as number),
  };
  return {
    now: () => t,
    timers,
    advance(ms: number) {
      t += ms;
    },
    /** Fires every timer due up to `until`, in order, moving the clock to each. */
    runUntil(until: number) {
      for (;;) {
        const next = [...due.entries()].sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
        if (!next || next[1].at > until) break;
        due.delete(next[0]);
        t = Math.max(t, next[1].at);
        next[1].fn();
      }
      t = Math.max(t, until);
    },
    pending: () => due.size,
  };
}

describe('runWhenQuiet', () => {
  it('runs no step within quietMs of a key, slices the rest, and runs every step once', () => {
    const time = fakeTime();
    const quiet = new KeyboardQuiet(50, time.now);
    const ran: number[] = []; // when each step ran
    const turnOf: number[] = []; // in which timer turn
    let turns = 0;
    const timers: Timers = {
      set: (fn, ms) =>
        time.timers.set(() => {
          turns++;
          fn();
        }, ms),
      clear: time.timers.clear,
    };
    function* steps() {
      for (let i = 0; i < 30; i++) {
        ran.push(time.now());
        turnOf.push(turns);
        time.advance(2); // a step takes 2 ms
        yield;
      }
    }
    const keys: number[] = []; // when each key came (after a step running then: a step is not interrupted)
    runWhenQuiet(steps(), quiet, { delayMs: 10, sliceMs: 5, now: time.now, timers });
    for (const at of [0, 40, 120, 300, 310, 320]) {
      time.runUntil(at);
      keys.push(time.now());
      quiet.keyPressed();
    }
    time.runUntil(10_000);
    expect(ran).toHaveLength(30);
    // A step may start only when the last key before it is at least 50 ms old.
    for (const at of ran) {
      const lastKey = Math.max(...keys.filter((k) => k <= at));
      expect(keys).not.toContain(at); // no step began as a key came
      expect(at - lastKey).toBeGreaterThanOrEqual(50);
    }
    // Slices of at most 5 ms (three 2 ms steps: the last one starts before the slice is up), then a yield.
    const perTurn = new Map<number, number>();
    for (const t of turnOf) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
    expect(Math.max(...perTurn.values())).toBe(3);
    expect(time.pending()).toBe(0);
  });

  it('stops when cancelled', () => {
    const time = fakeTime();
    const quiet = new KeyboardQuiet(50, time.now);
    let ran = 0;
    function* steps() {
      for (;;) {
        ran++;
        time.advance(1);
        yield;
      }
    }
    const cancel = runWhenQuiet(steps(), quiet, { delayMs: 0, sliceMs: 3, now: time.now, timers: time.timers });
    time.runUntil(20);
    const before = ran;
    expect(before).toBeGreaterThan(0);
    cancel();
    time.runUntil(1000);
    expect(ran).toBe(before);
    expect(time.pending()).toBe(0);
  });
});
