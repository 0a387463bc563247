// mayHoldSecret is the fast path every JSON record and text line goes through: it must say true wherever the
// pattern it replaced (/@|[?&]pass(?:word|wd)?=/i) matched, and only there (false lets a password through).
import { describe, expect, it } from 'vitest';
import { maskSecrets, mayHoldSecret } from '../../src/secrets.js';

const REFERENCE = /@|[?&]pass(?:word|wd)?=/i;

describe('mayHoldSecret', () => {
  it('answers as the single pattern did', () => {
    const pieces = [
      '',
      'a',
      '@',
      '?',
      '&',
      '=',
      'pass',
      'PASS',
      'Password',
      'passwd',
      'pAsSwD',
      'word',
      'wd',
      'x:y',
      ' ',
    ];
    let n = 0;
    for (const a of pieces)
      for (const b of pieces)
        for (const c of pieces)
          for (const d of pieces) {
            const text = a + b + c + d;
            expect(mayHoldSecret(text), JSON.stringify(text)).toBe(REFERENCE.test(text));
            n++;
          }
    expect(n).toBe(pieces.length ** 4);
  });

  it('lets nothing through that maskSecrets would mask', () => {
    for (const text of [
      'mysql+pymysql://nova:s3cret@db/nova',
      'mysql://db/nova?charset=utf8&PASSWORD=s3cret',
      'mysql://db/nova?passwd=s3cret',
      'nova:s3cret@db',
    ]) {
      expect(maskSecrets(text)).not.toBe(text);
      expect(mayHoldSecret(text)).toBe(true);
    }
  });
});
