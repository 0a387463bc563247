// A typed confirmation for dangerous writes: the operator types the phrase, anything else cancels.
import { createInterface } from 'node:readline/promises';
import { terminalSafe } from '../terminalText.js';
import { unguarded } from './output/guard.js';

export async function confirmTyped(question: string, phrase: string): Promise<boolean> {
  // readline draws the line being typed with cursor controls: it writes past the stderr guard, so the question
  // (which names cells, from the database) is escaped here.
  const rl = createInterface({ input: process.stdin, output: unguarded(process.stderr) });
  try {
    const answer = await rl.question(
      `${terminalSafe(question)}\nType "${terminalSafe(phrase)}" to confirm, anything else cancels: `,
    );
    return answer.trim() === phrase;
  } finally {
    rl.close();
  }
}
