// SIGTERM/SIGHUP (a closed ssh session, a kill) must still close connections, stop the demo server and give the
// terminal back. Node runs no 'exit' cleanup on a default SIGTERM, so one handler runs every registered cleanup.
const cleanups: (() => Promise<void>)[] = [];
const SIGNALS = { SIGTERM: 15, SIGHUP: 1 } as const;
let installed = false;
/** While a graceful stop is armed, SIGTERM/SIGHUP belong to it: terminate() must not exit under it. */
let graceful = 0;

async function terminate(signal: keyof typeof SIGNALS): Promise<void> {
  if (graceful > 0) return; // a repair is finishing what it started (stopGracefully): it exits by itself
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      await fn();
    } catch {
      // keep going: the remaining cleanups matter more than reporting this one
    }
  }
  process.exit(128 + SIGNALS[signal]);
}

/** Registers a cleanup to run on SIGTERM/SIGHUP; returns a function that unregisters it. */
export function onTerminate(cleanup: () => Promise<void>): () => void {
  if (!installed) {
    installed = true;
    for (const s of Object.keys(SIGNALS) as (keyof typeof SIGNALS)[]) process.on(s, () => void terminate(s));
  }
  cleanups.push(cleanup);
  return () => {
    const i = cleanups.indexOf(cleanup);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

export interface GracefulStop {
  /** Aborted at the first SIGINT, SIGTERM or SIGHUP. */
  signal: AbortSignal;
  /** The signal that arrived, or null. */
  received(): NodeJS.Signals | null;
  /** Give the signals back (their default, or onTerminate's handler). */
  dispose(): void;
}

/**
 * Ctrl-C (or a kill) while a repair writes: instead of dying between two COMMITs, abort `signal` and let the
 * work in progress finish; a second signal only says that it is finishing. The caller reports and exits 130.
 */
export function stopGracefully(onSecond: (signal: NodeJS.Signals) => void): GracefulStop {
  const controller = new AbortController();
  let first: NodeJS.Signals | null = null;
  const handler = (signal: NodeJS.Signals) => {
    if (first === null) {
      first = signal;
      controller.abort(signal);
    } else onSecond(signal);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, handler);
  graceful++;
  let disposed = false;
  return {
    signal: controller.signal,
    received: () => first,
    dispose() {
      if (disposed) return;
      disposed = true;
      graceful--;
      for (const s of signals) process.off(s, handler);
    },
  };
}
