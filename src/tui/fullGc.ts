// A full garbage collection on demand, for the moment the TUI has finished its sweep and has not shown "ready"
// yet: the sweep leaves tens of MiB of dead pages in the old generation, and V8 would otherwise collect them
// (mark-compact, 50-130 ms, its finishing pause on this thread) during the first keys pressed on the whole list.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | null = null;

/**
 * Collects the whole heap now. `gc` is a function V8 puts in contexts made after --expose-gc is set; the flag set
 * at run time (not on node's command line, which is the operator's) reaches a new context only.
 */
export function fullGc(): void {
  try {
    if (!collect) {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as () => void;
    }
    collect();
  } catch {
    // Only an optimisation (V8 collects on its own, later): a V8 without the flag or the function leaves it out.
    collect = () => undefined;
  }
}
