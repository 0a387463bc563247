// A typed confirmation for dangerous writes: the operator types the phrase, anything else cancels.
import { createInterface } from 'node:readline/promises';
import { terminalSafe } from '../terminalText.js';
import { unguarded } from './output/guard.js';

/** What the operator did at the prompt: typed the phrase, anything else (Ctrl-D included), or Ctrl-C. */
export type ConfirmAnswer = 'confirmed' | 'declined' | 'interrupted';

export async function confirmTyped(question: string, phrase: string): Promise<ConfirmAnswer> {
  // readline draws the line being typed with cursor controls: it writes past the stderr guard, so the question
  // (which names cells, from the database) is escaped here.
  const rl = createInterface({ input: process.stdin, output: unguarded(process.stderr) });
  // readline takes the terminal's Ctrl-C as a key: without a listener it closes and the question rejects (as on
  // Ctrl-D, end of input), with an AbortError only its message tells apart. Ctrl-C is an interruption (130),
  // Ctrl-D a declined answer (1). (Closing the interface does not settle the question: the abort does.)
  const stop = new AbortController();
  rl.on('SIGINT', () => stop.abort());
  try {
    const answer = await rl.question(
      `${terminalSafe(question)}\nType "${terminalSafe(phrase)}" to confirm, anything else cancels: `,
      { signal: stop.signal },
    );
    return answer.trim() === phrase ? 'confirmed' : 'declined';
  } catch (e) {
    if (stop.signal.aborted) return 'interrupted';
    if ((e as Error)?.name === 'AbortError') return 'declined';
    throw e;
  } finally {
    rl.close();
  }
}
