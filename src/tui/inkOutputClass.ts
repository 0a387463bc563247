// Where ink's Output class is: its output.js, next to ink's entry point (not one of ink's exports). The single
// executable has no node_modules: its bundle replaces this module with one that imports the class from the bundle
// (src/sea/build.mjs, inkOutputInBundle), the same module ink's renderer uses there.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** ink's version and its Output class (typed by the caller, which knows which version it was written for). */
export async function loadInkOutput(): Promise<{ version: string | undefined; Output: unknown }> {
  const entry = pathToFileURL(createRequire(import.meta.url).resolve('ink'));
  const pkg = JSON.parse(readFileSync(new URL('../package.json', entry), 'utf8')) as { version?: string };
  const mod = (await import(new URL('./output.js', entry).href)) as { default: unknown };
  return { version: pkg.version, Output: mod.default };
}
