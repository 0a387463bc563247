// Everything written to stderr goes through the program's one rule for text that leaves it (terminalSafe: visible
// escapes for control, bidi and invisible characters; every password masked), whoever wrote it: our messages,
// commander's ("unknown option …" quotes the argument), warnings, a crash's stack. The only control codes let through
// are our own progress line's: `\r\x1b[K` at the start of a write.
import { terminalSafe } from '../../terminalText.js';

const PROGRESS_PREFIX = '\r\x1b[K';

type Write = (chunk: unknown, encoding?: unknown, cb?: unknown) => boolean;

const originals = new WeakMap<NodeJS.WritableStream, Write>();

/** Make every later write to `stream` (default stderr) pass through terminalSafe. Idempotent. */
export function guardStream(stream: NodeJS.WritableStream = process.stderr): void {
  if (originals.has(stream)) return;
  const original = stream.write.bind(stream) as Write;
  originals.set(stream, original);
  const guarded: Write = (chunk, encoding, cb) => {
    let text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    let prefix = '';
    while (text.startsWith(PROGRESS_PREFIX)) {
      prefix += PROGRESS_PREFIX;
      text = text.slice(PROGRESS_PREFIX.length);
    }
    const callback = typeof encoding === 'function' ? encoding : cb;
    return original(prefix + terminalSafe(text), 'utf8', callback);
  };
  (stream as unknown as { write: Write }).write = guarded;
}

/**
 * `stream` without the guard, for what draws on the terminal itself (readline's prompt moves the cursor); the
 * caller escapes what it puts there.
 */
export function unguarded<T extends NodeJS.WritableStream>(stream: T): T {
  const original = originals.get(stream);
  if (!original) return stream;
  return new Proxy(stream, {
    get(target, prop) {
      if (prop === 'write') return original;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
