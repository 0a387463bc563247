// A typed confirmation for dangerous writes: the operator types the phrase, anything else cancels.
import { createInterface } from 'node:readline/promises';

export async function confirmTyped(question: string, phrase: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question}\nType "${phrase}" to confirm, anything else cancels: `);
    return answer.trim() === phrase;
  } finally {
    rl.close();
  }
}
