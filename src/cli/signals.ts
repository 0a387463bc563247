// SIGTERM/SIGHUP (a closed ssh session, a kill) must still close connections, stop the demo server and give the
// terminal back. Node runs no 'exit' cleanup on a default SIGTERM, so one handler runs every registered cleanup.
const cleanups: (() => Promise<void>)[] = [];
const SIGNALS = { SIGTERM: 15, SIGHUP: 1 } as const;
let installed = false;

async function terminate(signal: keyof typeof SIGNALS): Promise<void> {
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
