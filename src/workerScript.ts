// Worker threads run compiled JavaScript: the script `name` beside the calling module when that module is
// itself compiled (dist/), or, when it runs from src/ (vitest), the same place under the package's dist/.
// Null when there is none (not built): callers then do the work in their own thread.
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export function compiledScript(callerUrl: string, name: string): URL | null {
  const here = dirname(fileURLToPath(callerUrl));
  if (fileURLToPath(callerUrl).endsWith('.js')) {
    const beside = join(here, name);
    return existsSync(beside) ? pathToFileURL(beside) : null;
  }
  let root = here;
  for (let i = 0; i < 6 && !existsSync(join(root, 'package.json')); i++) root = dirname(root);
  const inSrc = relative(join(root, 'src'), here);
  if (inSrc.startsWith('..')) return null;
  const compiled = join(root, 'dist', inSrc, name);
  return existsSync(compiled) ? pathToFileURL(compiled) : null;
}
