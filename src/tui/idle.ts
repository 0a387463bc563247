// Work done for keys not pressed yet (search text, sort orders) runs only while the keyboard is quiet, a short slice
// at a time: a key never waits behind more than one small step of it, and the frame a key caused reaches the
// terminal (and tmux, on the same CPUs) before any of it runs again. A key that needs what is not made yet makes it
// at once, as it would with no preparation.

/** When the operator last pressed a key, and whether the keyboard has been quiet long enough since. */
export class KeyboardQuiet {
  private lastKey = Number.NEGATIVE_INFINITY;

  constructor(
    /** How long after a key nothing prepared runs: longer than a frame, shorter than a typist's pause. */
    readonly quietMs: number,
    private readonly now: () => number,
  ) {}

  /** Bound: handed to the key handler as it is. */
  readonly keyPressed = (): void => {
    this.lastKey = this.now();
  };

  /** ms until the keyboard will have been quiet for quietMs (0: it has). */
  wait(): number {
    return Math.max(0, this.lastKey + this.quietMs - this.now());
  }
}

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const nodeTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Runs `steps` (each call of next() one small piece) from `delayMs` on, only while `quiet` says so, at most
 * `sliceMs` of them a timer turn (a turn yields to the keys that arrived meanwhile). A key postpones what is left
 * until the keyboard is quiet again. Returns what cancels it.
 */
export function runWhenQuiet(
  steps: Iterator<unknown>,
  quiet: KeyboardQuiet,
  opts: { delayMs: number; sliceMs: number; now: () => number; timers?: Timers },
): () => void {
  const timers = opts.timers ?? nodeTimers;
  let pending: unknown = null;
  let done = false;
  const turn = () => {
    pending = null;
    const wait = quiet.wait();
    if (wait > 0) {
      pending = timers.set(turn, wait);
      return;
    }
    const until = opts.now() + opts.sliceMs;
    do {
      if (steps.next().done) {
        done = true;
        return;
      }
    } while (opts.now() < until);
    pending = timers.set(turn, 0);
  };
  pending = timers.set(turn, opts.delayMs);
  return () => {
    if (!done && pending !== null) timers.clear(pending);
    pending = null;
  };
}
