// In the single executable (src/sea/build.mjs) this module stands in for src/workerScript.ts: there are no
// compiled files beside the program, so each worker thread's script is its own bundle, embedded in the
// executable as text at build time and started from a data: URL (an ES module, which Node's Worker accepts).
// The callers keep their contract: a URL (whose href may travel to another thread, as the gzip helper's
// does) or null.

/** Worker bundles by script name ('worker.js', 'gunzipWorker.js'); set by the build. */
declare const NOVA_DOCTOR_WORKER_SOURCES: Readonly<Record<string, string>> | undefined;

const urls = new Map<string, URL>();

export function compiledScript(_callerUrl: string, name: string): URL | null {
  const sources = typeof NOVA_DOCTOR_WORKER_SOURCES === 'undefined' ? {} : NOVA_DOCTOR_WORKER_SOURCES;
  const source = sources[name];
  if (source === undefined) return null;
  let url = urls.get(name);
  if (!url) {
    url = new URL(`data:text/javascript;base64,${Buffer.from(source).toString('base64')}`);
    urls.set(name, url);
  }
  return url;
}
