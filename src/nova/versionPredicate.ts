// img_hv_requested_version as ImagePropertiesFilter evaluates it: distutils
// VersionPredicate('image_prop (%s)' % value).satisfied_by(convert_version_to_str(hypervisor_version)),
// with StrictVersion semantics ('2.6' == '2.6.0'; '1.0a1' < '1.0').

type Op = '<' | '<=' | '==' | '>' | '>=' | '!=';

interface StrictVersion {
  version: readonly [number, number, number];
  prerelease: readonly ['a' | 'b', number] | null;
}

export interface VersionPredicate {
  readonly clauses: readonly { op: Op; version: string }[];
  /** null when `version` is not a StrictVersion (nova itself would raise). */
  satisfiedBy(version: string): boolean | null;
}

const STRICT = /^(\d+)\.(\d+)(?:\.(\d+))?(?:([ab])(\d+))?$/;
const CLAUSE = /^\s*(<=|>=|<|>|!=|==)\s*([^\s,]+)\s*$/;

export function parseStrictVersion(text: string): StrictVersion | null {
  const m = STRICT.exec(text);
  if (!m) return null;
  const version = [Number(m[1]), Number(m[2]), m[3] === undefined ? 0 : Number(m[3])] as const;
  const prerelease = m[4] === undefined ? null : ([m[4] as 'a' | 'b', Number(m[5])] as const);
  return { version, prerelease };
}

function compare(a: StrictVersion, b: StrictVersion): number {
  for (let i = 0; i < 3; i++) {
    const d = (a.version[i] as number) - (b.version[i] as number);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  if (!a.prerelease && !b.prerelease) return 0;
  if (a.prerelease && !b.prerelease) return -1;
  if (!a.prerelease && b.prerelease) return 1;
  const [pa, na] = a.prerelease as readonly ['a' | 'b', number];
  const [pb, nb] = b.prerelease as readonly ['a' | 'b', number];
  if (pa !== pb) return pa < pb ? -1 : 1;
  return na === nb ? 0 : na < nb ? -1 : 1;
}

/** Parses a value such as '>=2.6' or '>= 6.0, < 7.0'. Returns null where nova's coerce would refuse it. */
export function parseVersionPredicate(value: string): VersionPredicate | null {
  if (value.includes('(') || value.includes(')')) return null;
  const clauses: { op: Op; version: string; parsed: StrictVersion }[] = [];
  for (const part of value.split(',')) {
    const m = CLAUSE.exec(part);
    if (!m) return null;
    const parsed = parseStrictVersion(m[2] as string);
    if (!parsed) return null;
    clauses.push({ op: m[1] as Op, version: m[2] as string, parsed });
  }
  if (clauses.length === 0) return null;
  return {
    clauses: clauses.map(({ op, version }) => ({ op, version })),
    satisfiedBy(version: string): boolean | null {
      const v = parseStrictVersion(version);
      if (!v) return null;
      return clauses.every(({ op, parsed }) => {
        const c = compare(v, parsed);
        switch (op) {
          case '<':
            return c < 0;
          case '<=':
            return c <= 0;
          case '==':
            return c === 0;
          case '>':
            return c > 0;
          case '>=':
            return c >= 0;
          case '!=':
            return c !== 0;
        }
      });
    },
  };
}
