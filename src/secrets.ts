// Where a database URL keeps its password, by one rule that the URL parser (db/dbUrl.ts) and every mask share, so
// that what we refuse, connect with and hide is always the same span of text.
//
// The rule: after `scheme://`, the user information runs to the LAST '@' of the URL, and the password is what
// follows the first ':' in it. SQLAlchemy stops the password at the first '@' instead and takes the rest as the
// host (`nova:s3cr@t@db` is password `s3cr`, host `t@db`); parseDbUrl refuses every URL on which the two readings
// differ, so a URL we accept has exactly the password both rules see, and a URL we refuse is masked to its last '@'.

export interface Credentials {
  /** Index where the user name starts (just after `://`). */
  userStart: number;
  /** Index of the ':' before the password, or -1 when there is no password. */
  colon: number;
  /** Index of the '@' that ends the user information. */
  at: number;
}

const SCHEME_AT_START = /^[\w+.-]*:\/\//;

/**
 * The user information of one whole URL (`scheme://user:password@host…`), or null when it has none (no '@' after
 * the scheme). Text without `scheme://` at its start has none either.
 */
export function credentialsOf(url: string): Credentials | null {
  const scheme = SCHEME_AT_START.exec(url)?.[0];
  if (scheme === undefined) return null;
  const userStart = scheme.length;
  const at = url.lastIndexOf('@');
  if (at < userStart) return null;
  const colon = url.indexOf(':', userStart);
  return { userStart, colon: colon >= 0 && colon < at ? colon : -1, at };
}

/** The URL with its password replaced by `***` (by credentialsOf's rule); the rest as it is. */
export function maskPassword(url: string): string {
  const c = credentialsOf(url);
  if (!c || c.colon < 0) return url;
  return `${url.slice(0, c.colon + 1)}***${url.slice(c.at)}`;
}

// A URL's scheme anywhere in a text (glued to what precedes it or not), and a scheme-less `user:password@host` token.
const SCHEME_ANYWHERE = /[A-Za-z][\w+.-]*:\/\//g;
const BARE_USERINFO = /(?<=^|[\s'"(=,<[])([^\s:@/'"()<>[\]=,]+):([^\s]*)@(?=[^\s@])/g;
const SECRET_QUERY = /([?&](?:password|passwd|pass)=)[^&\s'"]*/gi;
const SECRET_QUERY_HINT = /[?&]pass(?:word|wd)?=/i;

/** False when `text` certainly holds nothing maskSecrets would mask (no '@', no `password=`): the fast path. */
export function mayHoldSecret(text: string): boolean {
  // Plain searches first: every JSON record of a sweep goes through here, and one case-insensitive pattern with
  // an alternation was a scan several times slower than indexOf's.
  return text.includes('@') || (text.includes('=') && SECRET_QUERY_HINT.test(text));
}

/**
 * Every `user:password@` in a free text (an error message, a file name, a JSON string) with the password masked,
 * and every `password=` query value. A URL in text ends at the end of its line; its user information at the last
 * '@' of the first whitespace-separated word that has one with something after it (a password may hold a space,
 * so the words after a password with no '@' yet are searched too; a password with both a space and an '@' before
 * it cannot be told from the text around it, which is one more reason parseDbUrl refuses an unencoded '@').
 * Text with no '@' and no `password=` is returned as it is.
 */
export function maskSecrets(text: string): string {
  if (!mayHoldSecret(text)) return text;
  let out = text;
  if (out.includes('@')) {
    let result = '';
    let from = 0;
    SCHEME_ANYWHERE.lastIndex = 0;
    for (let m = SCHEME_ANYWHERE.exec(out); m; m = SCHEME_ANYWHERE.exec(out)) {
      const userStart = m.index + m[0].length;
      if (userStart < from) continue;
      const span = credentialSpanInText(out, userStart);
      if (!span) continue;
      result += `${out.slice(from, span.colon + 1)}***`;
      from = span.at;
      SCHEME_ANYWHERE.lastIndex = span.at;
    }
    out = result + out.slice(from);
    out = out.replace(BARE_USERINFO, (whole, user: string, pw: string) =>
      pw === '***' || whole.includes('://') ? whole : `${user}:***@`,
    );
  }
  return out.replace(SECRET_QUERY, '$1***');
}

/** The user:password span of a URL that starts (after its scheme) at `userStart` in a longer text. */
function credentialSpanInText(text: string, userStart: number): { colon: number; at: number } | null {
  const lineEnd = text.indexOf('\n', userStart);
  const line = text.slice(userStart, lineEnd < 0 ? text.length : lineEnd);
  const firstSpace = line.search(/\s/);
  const firstWord = firstSpace < 0 ? line : line.slice(0, firstSpace);
  // An '@' that ends a word has no host after it: the password goes on past the space.
  let at = firstWord.slice(0, -1).lastIndexOf('@');
  if (at < 0) {
    // A password with a space in it: only when the first word has begun one (user:…), up to the first later word
    // with an '@', even one of another URL (hiding too much is the safe side).
    if (!firstWord.includes(':') || firstSpace < 0) return null;
    const words = line.slice(firstSpace);
    const re = /\S+/g;
    for (let w = re.exec(words); w; w = re.exec(words)) {
      const i = w[0].slice(0, -1).lastIndexOf('@');
      if (i >= 0) {
        at = firstSpace + w.index + i;
        break;
      }
    }
    if (at < 0) return null;
  }
  const colon = line.indexOf(':');
  if (colon < 0 || colon > at) return null;
  return { colon: userStart + colon, at: userStart + at };
}
