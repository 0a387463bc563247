// The oracle data nova's own code produced (test/nova/fixtures/generate.py → oracle.json).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Oracle {
  reprs: { input: Record<string, unknown>; repr: string; props: Record<string, unknown> }[];
  canonical: { enum: 'Architecture' | 'HVType' | 'VMMode'; name: string; value?: string; error?: string }[];
  filter: {
    props: Record<string, string>;
    host: string;
    supported: [string, string, string][];
    hypervisorVersion: number | null;
    passes: boolean;
  }[];
  versions: { predicate: string; hypervisorVersion: number; asString: string; satisfied: boolean }[];
}

export const oracle: Oracle = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'oracle.json'), 'utf8'));
