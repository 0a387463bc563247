// ink builds every frame from scratch, a styled-character object (and Sets to diff its styles) per cell of the
// screen: ~10 MiB of short-lived objects a frame at 120×40 (V8's sampling heap profiler, 29 j presses at 100k
// rows: all but a few % of what a key allocates is ink's output.js and ansi-tokenize), so the young generation
// (16 MiB semi-spaces in the TUI, startup.ts) fills every key or two. A scavenge that starts inside a frame finds
// that frame's half-built characters alive and copies them: in the binary over a 78k-instance cloud (140×40, load
// 5-8, V8's gc performance entries) the scavenges after j presses took 4-17 ms each, one every key or two.
// Emptying the young generation just after a frame, when another frame would not fit, does that scavenge with
// nothing of a frame alive (2-6 ms, same measure) and after the frame was written, not while a key waits for it.
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** What a frame allocates, rounded up (at 140×40, ~10 MiB). */
const FRAME_BYTES = 12 * 2 ** 20;

type Gc = (options: { type: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;
let gc: Gc | null | undefined; // undefined: not looked for yet; null: not to be had

/** V8's gc(), exposed to a fresh context only (the program's own global gets none). */
function minorGc(): Gc | null {
  if (gc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as Gc;
    } catch {
      gc = null; // a runtime that does not allow it: V8 scavenges when it must, as before
    }
  }
  return gc;
}

function youngRoom(): { capacity: number; free: number } | null {
  const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  return young ? { capacity: young.space_size, free: young.space_available_size } : null;
}

/**
 * Whether to empty the young generation after a frame: when another frame would not fit in what is left of it, once
 * it has grown to hold one (while it is still growing, V8's own scavenges are small and grow it).
 */
export function scavengeWanted(room: { capacity: number; free: number }, frameBytes = FRAME_BYTES): boolean {
  return room.capacity >= frameBytes && room.free < frameBytes;
}

let scheduled = false;

/** Call when a frame has been rendered: once the current turn is over (ink has written it), scavenges if wanted. */
export function afterFrame(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(() => {
    scheduled = false;
    const room = youngRoom();
    if (room !== null && scavengeWanted(room)) minorGc()?.({ type: 'minor' });
  });
}
