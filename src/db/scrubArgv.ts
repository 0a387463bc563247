// A password given as `--api-db mysql+pymysql://nova:PASSWORD@host/nova_api` is in argv, and argv is world-readable
// through /proc/PID/cmdline (ps, top). Node's process.title setter rewrites that memory on Linux (libuv
// uv_set_process_title), so the launcher can replace the command line with a masked copy as its first act.
// What it cannot do: hide the password during the few milliseconds before that, or from the shell's history;
// the operator should prefer --config nova.conf (a 0600 file) for credentials.
import { maskSecrets } from '../secrets.js';
import { maskUrl } from './dbUrl.js';

const URL_LIKE = /^[\w+.-]+:\/\//;
/** Options whose next argument (or `=value`) is a URL that may carry a password. */
const URL_OPTIONS = new Set(['--api-db', '--cell-db', '--db', '--database-url']);
/** Options whose value is a secret outright. */
const SECRET_OPTIONS = new Set(['--password', '--db-password']);

function maskValue(option: string | null, value: string): string {
  if (option && SECRET_OPTIONS.has(option)) return '***';
  if (URL_LIKE.test(value) || (option && URL_OPTIONS.has(option))) return value.includes('@') ? maskUrl(value) : value;
  // Anything else (a URL given as a log path or to --config, a `user:password@host` without scheme): the one rule.
  return maskSecrets(value);
}

/** argv with every password masked: URL userinfo passwords, password= query keys, --password values. */
export function maskArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  let pending: string | null = null;
  for (const arg of argv) {
    if (pending) {
      out.push(maskValue(pending, arg));
      pending = null;
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    if (eq > 0) {
      const opt = arg.slice(0, eq);
      out.push(`${opt}=${maskValue(opt, arg.slice(eq + 1))}`);
      continue;
    }
    if (URL_OPTIONS.has(arg) || SECRET_OPTIONS.has(arg)) pending = arg;
    out.push(maskValue(null, arg));
  }
  return out;
}

/**
 * Replace the process's visible command line (/proc/PID/cmdline, ps) with a masked copy when it holds a secret.
 * Returns the title set, or null when argv had nothing to hide (the title is then left alone). Linux only:
 * elsewhere process.title does not reach what ps shows, and this is a harmless no-op.
 */
export function scrubArgvSecrets(argv: readonly string[] = process.argv): string | null {
  const masked = maskArgv(argv);
  if (masked.every((a, i) => a === argv[i])) return null;
  // The title is written over the original argv area and cannot grow past it; masking only ever shortens a URL
  // or a password to '***', so pad nothing and let libuv truncate in the rare case of a 1–2 character password.
  // argv[0] as typed (e.g. `node`), not the resolved path Node puts in process.argv: it keeps the title short.
  if (argv === process.argv && masked.length > 0) masked[0] = process.argv0;
  const title = masked.join(' ');
  process.title = title;
  return title;
}
