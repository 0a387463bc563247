// Finding the few interesting lines in a large log, and the exact line number of each, in one pass.
//
// Why WebAssembly: Buffer.indexOf runs one pass per needle and slows to ~3 GB/s when the needle's first
// byte is common, and counting newlines for line numbers costs another pass with one native call per
// line. A tiny SIMD kernel (generated below, no toolchain) looks at 16 positions at a time for a
// 3-byte anchor of every needle and counts newlines in the same pass. Candidates are verified in JS.
// A plain-JS implementation with the same contract is kept as the fallback and as the test oracle.

import { setFlagsFromString } from 'node:v8';

export interface Needle {
  text: string;
  bytes: Uint8Array;
  /** Offset of the anchor inside the needle. */
  anchor: number;
  /** Anchor length: 3 bytes, or 2 where the log shows that pair to be rare enough (fewer SIMD ops). */
  anchorLength?: 2 | 3;
}

/** A needle occurrence: where it starts, and how many newlines precede it in the scanned region. */
export interface NeedleHit {
  needle: number;
  at: number;
  newlinesBefore: number;
}

export interface RegionScan {
  hits: NeedleHit[];
  /** Newlines in the whole region. */
  newlines: number;
}

export interface NeedleScanner {
  readonly kind: 'wasm' | 'js';
  /** The SIMD kernel's table lookup (wasm only): relaxed where the runtime allows it. */
  readonly swizzle?: 'relaxed' | 'strict';
  /** The buffer data must be in (wasm memory for the SIMD scanner). */
  readonly buffer: Buffer;
  /** Where callers may put data: buffer[dataStart, dataStart + capacity). */
  readonly dataStart: number;
  readonly capacity: number;
  /** Scans buffer[start, end). */
  scan(start: number, end: number): RegionScan;
  /** Switches to other needles or anchors (e.g. chosen from a sample of the data); memory stays. */
  setNeedles(needles: readonly Needle[]): void;
}

const ANCHOR = 3;
const anchorLengthOf = (n: Needle): number => n.anchorLength ?? ANCHOR;

/**
 * Chooses the anchor as the 3 bytes least likely in nova logs (upper case, punctuation, rare letters);
 * `anchorLength` 2 with an explicit `anchor` makes a 2-byte anchor (tests; chooseAnchors picks its own).
 */
export function makeNeedle(text: string, anchor?: number, anchorLength: 2 | 3 = 3): Needle {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length < ANCHOR) throw new Error(`needle too short: ${text}`);
  if (bytes.includes(10)) throw new Error('needle must not contain a newline');
  let best = 0;
  let bestScore = Number.POSITIVE_INFINITY;
  if (anchor === undefined) {
    for (let i = 0; i + ANCHOR <= bytes.length; i++) {
      let score = 0;
      for (let j = 0; j < ANCHOR; j++) score += commonness(bytes[i + j] as number);
      if (score < bestScore) {
        bestScore = score;
        best = i;
      }
    }
  } else best = anchor;
  if (anchorLength === 2) return { text, bytes, anchor: best, anchorLength };
  return { text, bytes, anchor: best };
}

// Rough byte frequencies in nova debug logs (hex ids, paths, lower-case words dominate).
function commonness(b: number): number {
  if (b === 32) return 9; // space
  if ((b >= 48 && b <= 57) || (b >= 97 && b <= 102)) return 10; // hex digits
  if (b === 45 || b === 46 || b === 47 || b === 95 || b === 39 || b === 44 || b === 58) return 8;
  if (b >= 97 && b <= 122) return 'tnosrilu'.includes(String.fromCharCode(b)) ? 7 : 5;
  if (b >= 65 && b <= 90) return 'NDIE'.includes(String.fromCharCode(b)) ? 4 : 2;
  return 3;
}

function matchesAt(buf: Uint8Array, at: number, end: number, n: Needle): boolean {
  const b = n.bytes;
  if (at < 0 || at + b.length > end) return false;
  for (let i = 0; i < b.length; i++) if (buf[at + i] !== b[i]) return false;
  return true;
}

/** Reference implementation: Buffer.indexOf per needle, newline counting by indexOf. */
export function createJsScanner(initial: readonly Needle[], capacity: number): NeedleScanner {
  const buffer = Buffer.alloc(capacity);
  let bufs = initial.map((n) => Buffer.from(n.bytes));
  return {
    setNeedles(needles) {
      bufs = needles.map((n) => Buffer.from(n.bytes));
    },
    kind: 'js',
    buffer,
    dataStart: 0,
    capacity,
    scan(start, end) {
      const found: { needle: number; at: number }[] = [];
      const region = buffer.subarray(0, end);
      bufs.forEach((nb, k) => {
        for (let i = region.indexOf(nb, start); i !== -1; i = region.indexOf(nb, i + 1))
          found.push({ needle: k, at: i });
      });
      found.sort((a, b) => a.at - b.at || a.needle - b.needle);
      const hits: NeedleHit[] = [];
      let nl = 0;
      let p = start;
      for (const f of found) {
        for (let i = region.indexOf(10, p); i !== -1 && i < f.at; i = region.indexOf(10, i + 1)) nl++;
        p = f.at;
        hits.push({ needle: f.needle, at: f.at, newlinesBefore: nl });
      }
      for (let i = region.indexOf(10, p); i !== -1; i = region.indexOf(10, i + 1)) nl++;
      return { hits, newlines: nl };
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// WebAssembly kernel. Exported `scan(start, end, out, outCap) -> records`: for each 16-byte block at p
// (while p + 34 <= end, two blocks at a time) it compares the bytes at p, p+1, p+2 with every needle's anchor; a block with
// any match writes a record {p, matchMask, newlinesBeforeBlock, newlineMask}. Globals `pos`/`nl` say
// where it stopped and how many newlines it counted. The JS driver finishes the last < 18 bytes.

const RECORD_BYTES = 16;
const OUT_RECORDS = 4096;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const str = (s: string): number[] => [...uleb(s.length), ...new TextEncoder().encode(s)];
/** "\0asm", version 1. */
const WASM_HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

// Opcodes (core and SIMD 0xfd prefix).
const OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  globalSet: 0x24,
  i32Store: 0x36,
  i32Const: 0x41,
  i32GtS: 0x4a,
  i32GtU: 0x4b,
  i32GeU: 0x4f,
  i32Popcnt: 0x69,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Shl: 0x74,
};
const SIMD = {
  load: 0x00,
  const: 0x0c,
  swizzle: 0x0e,
  relaxedSwizzle: 0x100,
  extractLane32: 0x1b,
  eq8: 0x23,
  ne8: 0x24,
  and: 0x4e,
  or: 0x50,
  anyTrue: 0x53,
  bitmask8: 0x64,
  sub8: 0x71,
  shrU16: 0x8d,
  extaddPairwise8u: 0x7d,
  extaddPairwise16u: 0x7f,
};
const simd = (op: number): number[] => [0xfd, ...uleb(op)];

/**
 * Teddy (Hyperscan's small-literal-set matcher) in WebAssembly SIMD: each needle owns one of 8 bucket
 * bits; for every anchor offset j there are two 16-entry tables, indexed by the low and the high nibble
 * of the byte at p+j, that say which buckets accept that nibble there. ANDing the lookups of all offsets
 * leaves, per lane, the buckets whose whole anchor starts at that lane, so the cost per block is the
 * same for 1 needle or 8 (with up to 8 needles each bucket is one needle and the match is exact). Two
 * 16-byte blocks per iteration. Newlines are summed in byte lanes (i8x16.sub of the compare masks) and
 * folded into a scalar every 127 iterations and before each record, so a record carries the exact
 * count of newlines before its block.
 *
 * The tables and splats live in memory at `tablesAt` and are loaded once into locals: V8 (11.x) does not
 * hoist v128.const or splats out of loops and would rebuild each of them in every iteration, which
 * halved the kernel's speed.
 */
export function teddyTables(anchors: readonly Uint8Array[]): Uint8Array {
  const width = Math.max(...anchors.map((a) => a.length));
  const t = new Uint8Array(TABLE_BYTES);
  t.fill(0x0f, 0, 16);
  t.fill(0x0a, 16, 32);
  anchors.forEach((a, k) => {
    const bit = 1 << (k % 8);
    for (let j = 0; j < width; j++) {
      const lo = 32 + j * 32;
      const hi = lo + 16;
      const b = a[j];
      if (b === undefined) {
        // A shorter anchor accepts any byte at this offset.
        for (let i = 0; i < 16; i++) {
          t[lo + i] = (t[lo + i] as number) | bit;
          t[hi + i] = (t[hi + i] as number) | bit;
        }
      } else {
        t[lo + (b & 15)] = (t[lo + (b & 15)] as number) | bit;
        t[hi + (b >> 4)] = (t[hi + (b >> 4)] as number) | bit;
      }
    }
  });
  return t;
}

/** Two splats (0x0f, newline) and a lo/hi table pair per anchor offset (at most 3). */
const TABLE_BYTES = 32 + 3 * 32;

function buildKernel(width: number, tablesAt: number, pages: number, relaxed: boolean): Uint8Array {
  // The table indexes are nibbles (0..15), where i8x16.relaxed_swizzle is exact; the strict swizzle costs an
  // extra saturating add per lookup on x64 to zero out-of-range lanes that never occur here.
  const swizzle = relaxed ? SIMD.relaxedSwizzle : SIMD.swizzle;
  // Memory is imported (env.mem) so the data can stay put when the anchors change.
  // Locals: 0 start, 1 end, 2 out, 3 outCap | i32: 4 p, 5 nl, 6 nrec, 7 limit, 8 addr, 9 iter, 10 mA, 11 mB |
  // v128: 12 nibble mask, 13 newline splat, 14 acc, 15 tmp, 16 matches A, 17 matches B,
  // 18.. the loaded bytes (block A at offsets 0..width-1, then block B), then lo/hi tables per offset.
  const P = 4,
    NL = 5,
    NREC = 6,
    LIMIT = 7,
    ADDR = 8,
    ITER = 9,
    MA = 10,
    MB = 11;
  const NIB = 12,
    NLV = 13,
    ACC = 14,
    TMP = 15,
    ANYA = 16,
    ANYB = 17,
    V0 = 18;
  const TAB = V0 + 2 * width;
  const c: number[] = [];
  const get = (i: number) => c.push(OP.localGet, ...uleb(i));
  const set = (i: number) => c.push(OP.localSet, ...uleb(i));
  const i32 = (v: number) => c.push(OP.i32Const, ...sleb(v));
  const op = (...o: number[]) => c.push(...o);
  const loadConst = (at: number, local: number) => {
    i32(at);
    op(...simd(SIMD.load), 0x00, 0x00);
    set(local);
  };
  const zeroAcc = () => {
    op(...simd(SIMD.const), ...new Array(16).fill(0));
    set(ACC);
  };
  // nl += horizontal sum of acc; acc = 0
  const flush = () => {
    get(ACC);
    op(...simd(SIMD.extaddPairwise8u), ...simd(SIMD.extaddPairwise16u));
    set(TMP);
    get(NL);
    for (let lane = 0; lane < 4; lane++) {
      get(TMP);
      op(...simd(SIMD.extractLane32), lane, OP.i32Add);
    }
    set(NL);
    zeroAcc();
  };
  // Pushes the v128 of bucket bits per lane for the block whose bytes are in locals v, v+1, …
  const matches = (v: number) => {
    for (let j = 0; j < width; j++) {
      get(TAB + 2 * j);
      get(v + j);
      get(NIB);
      op(...simd(SIMD.and), ...simd(swizzle));
      get(TAB + 2 * j + 1);
      get(v + j);
      i32(4);
      op(...simd(SIMD.shrU16));
      get(NIB);
      op(...simd(SIMD.and), ...simd(swizzle), ...simd(SIMD.and));
      if (j > 0) op(...simd(SIMD.and));
    }
  };
  const newlineMask = (v: number) => {
    get(v);
    get(NLV);
    op(...simd(SIMD.eq8), ...simd(SIMD.bitmask8));
  };
  const record = (any: number, mask: number, blockOffset: number) => {
    get(any);
    op(...simd(SIMD.anyTrue), OP.if, 0x40);
    get(2);
    get(NREC);
    i32(4);
    op(OP.i32Shl, OP.i32Add);
    set(ADDR);
    get(ADDR);
    get(P);
    if (blockOffset) {
      i32(blockOffset);
      op(OP.i32Add);
    }
    op(OP.i32Store, 2, 0);
    get(ADDR);
    get(any);
    op(...simd(SIMD.const), ...new Array(16).fill(0), ...simd(SIMD.ne8), ...simd(SIMD.bitmask8), OP.i32Store, 2, 4);
    get(ADDR);
    get(NL);
    op(OP.i32Store, 2, 8);
    get(ADDR);
    get(mask);
    op(OP.i32Store, 2, 12);
    get(NREC);
    i32(1);
    op(OP.i32Add);
    set(NREC);
    op(OP.end);
    get(NL);
    get(mask);
    op(OP.i32Popcnt, OP.i32Add);
    set(NL);
  };

  loadConst(tablesAt, NIB);
  loadConst(tablesAt + 16, NLV);
  for (let j = 0; j < width; j++) {
    loadConst(tablesAt + 32 + 32 * j, TAB + 2 * j);
    loadConst(tablesAt + 48 + 32 * j, TAB + 2 * j + 1);
  }
  zeroAcc();
  get(0);
  set(P);
  i32(0);
  set(NL);
  i32(0);
  set(NREC);
  i32(0);
  set(ITER);
  get(1);
  i32(34);
  op(OP.i32Sub);
  set(LIMIT);
  op(OP.block, 0x40, OP.loop, 0x40);
  get(P);
  get(LIMIT);
  op(OP.i32GtS, OP.brIf, 1);
  for (let u = 0; u < 2; u++)
    for (let j = 0; j < width; j++) {
      get(P);
      op(...simd(SIMD.load), 0x00, ...uleb(u * 16 + j));
      set(V0 + u * width + j);
    }
  matches(V0);
  set(ANYA);
  matches(V0 + width);
  set(ANYB);
  get(ANYA);
  get(ANYB);
  op(...simd(SIMD.or), ...simd(SIMD.anyTrue), OP.if, 0x40);
  // No room for two more records: stop before this pair of blocks (the caller resumes at pos).
  get(NREC);
  i32(2);
  op(OP.i32Add);
  get(3);
  op(OP.i32GtU, OP.brIf, 2);
  flush();
  op(OP.i32Const, 0);
  set(ITER);
  newlineMask(V0);
  set(MA);
  newlineMask(V0 + width);
  set(MB);
  record(ANYA, MA, 0);
  record(ANYB, MB, 16);
  op(OP.else);
  get(ACC);
  get(V0);
  get(NLV);
  op(...simd(SIMD.eq8), ...simd(SIMD.sub8));
  get(V0 + width);
  get(NLV);
  op(...simd(SIMD.eq8), ...simd(SIMD.sub8));
  set(ACC);
  get(ITER);
  i32(1);
  op(OP.i32Add, OP.localTee, ...uleb(ITER));
  i32(127);
  op(OP.i32GeU, OP.if, 0x40);
  flush();
  i32(0);
  set(ITER);
  op(OP.end);
  op(OP.end);
  get(P);
  i32(32);
  op(OP.i32Add);
  set(P);
  op(OP.br, 0, OP.end, OP.end);
  flush();
  get(P);
  op(OP.globalSet, 0);
  get(NL);
  op(OP.globalSet, 1);
  get(NREC);
  op(OP.end);

  const locals = [2, ...uleb(8), 0x7f, ...uleb(6 + 4 * width), 0x7b];
  const body = [...locals, ...c];
  const bytes = [
    ...WASM_HEADER,
    ...section(1, [1, 0x60, 4, 0x7f, 0x7f, 0x7f, 0x7f, 1, 0x7f]),
    ...section(2, [1, ...str('env'), ...str('mem'), 0x02, 0x00, ...uleb(pages)]),
    ...section(3, [1, 0]),
    ...section(6, [2, 0x7f, 0x01, OP.i32Const, 0, OP.end, 0x7f, 0x01, OP.i32Const, 0, OP.end]),
    ...section(7, [3, ...str('scan'), 0x00, 0, ...str('pos'), 0x03, 0, ...str('nl'), 0x03, 1]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ];
  return new Uint8Array(bytes);
}

interface KernelExports {
  scan(start: number, end: number, out: number, outCap: number): number;
  pos: { value: number };
  nl: { value: number };
}

// The tsconfig has no DOM lib, so the few WebAssembly pieces used here are declared by hand.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
}
const Wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** A function that only uses i8x16.relaxed_swizzle: compiles where relaxed SIMD is enabled. */
const RELAXED_PROBE = new Uint8Array([
  ...WASM_HEADER,
  ...section(1, [1, 0x60, 2, 0x7b, 0x7b, 1, 0x7b]),
  ...section(3, [1, 0]),
  ...section(10, [1, 9, 0, OP.localGet, 0, OP.localGet, 1, ...simd(SIMD.relaxedSwizzle), OP.end]),
]);

let relaxedSupport: boolean | undefined;

/**
 * Whether this runtime compiles relaxed SIMD. Node 20's V8 (11.3) implements it behind
 * --experimental-wasm-relaxed-simd (on by default from V8 11.4, Node 22): the flag is read when a module
 * is compiled, so it can still be turned on here. It only adds instructions; nothing else changes.
 */
export function relaxedSimdAvailable(): boolean {
  if (relaxedSupport !== undefined) return relaxedSupport;
  if (Wasm === undefined) return (relaxedSupport = false);
  const compiles = () => {
    try {
      new Wasm.Module(RELAXED_PROBE);
      return true;
    } catch {
      return false;
    }
  };
  if (compiles()) return (relaxedSupport = true);
  try {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    return (relaxedSupport = false);
  }
  return (relaxedSupport = compiles());
}

/** The SIMD scanner, or null when this runtime has no WebAssembly SIMD. */
export function createWasmScanner(
  initial: readonly Needle[],
  capacity: number,
  outRecords = OUT_RECORDS,
  swizzle: 'relaxed' | 'strict' | 'auto' = 'auto',
): NeedleScanner | null {
  if (Wasm === undefined) return null;
  const relaxed = swizzle !== 'strict' && relaxedSimdAvailable();
  if (swizzle === 'relaxed' && !relaxed) return null;
  const outStart = 0;
  const tablesAt = outRecords * RECORD_BYTES;
  const dataStart = Math.ceil((tablesAt + TABLE_BYTES) / 64) * 64;
  // Spare bytes so the kernel's unaligned loads near the end stay inside memory.
  const pages = Math.ceil((dataStart + capacity + 64) / 65536);
  let memory: WasmMemory;
  try {
    memory = new Wasm.Memory({ initial: pages, maximum: pages });
  } catch {
    return null;
  }
  const buffer = Buffer.from(memory.buffer);
  const out = new Int32Array(memory.buffer, outStart, outRecords * 4);

  let ex: KernelExports;
  // The code depends only on the anchor width (the anchors are in the tables): compiled once per width.
  const kernels = new Map<number, KernelExports>();
  let needles: readonly Needle[] = [];
  // For each anchor (its first two bytes as a key), the needles that use it (several may share one).
  let byAnchor = new Map<number, number[]>();
  const setNeedles = (next: readonly Needle[]): boolean => {
    const anchors = next.map((n) => n.bytes.subarray(n.anchor, n.anchor + anchorLengthOf(n)));
    const width = Math.max(...anchors.map((a) => a.length));
    let kernel = kernels.get(width);
    if (!kernel) {
      try {
        const mod = new Wasm.Module(buildKernel(width, tablesAt, pages, relaxed));
        kernel = new Wasm.Instance(mod, { env: { mem: memory } }).exports as unknown as KernelExports;
      } catch {
        return false;
      }
      kernels.set(width, kernel);
    }
    ex = kernel;
    buffer.set(teddyTables(anchors), tablesAt);
    needles = next;
    byAnchor = new Map();
    anchors.forEach((a, k) => {
      const key = (a[0] as number) | ((a[1] as number) << 8);
      byAnchor.set(key, [...(byAnchor.get(key) ?? []), k]);
    });
    return true;
  };
  if (!setNeedles(initial)) return null;

  const verify = (q: number, start: number, end: number, newlinesBefore: number, hits: NeedleHit[]) => {
    const ks = byAnchor.get((buffer[q] as number) | ((buffer[q + 1] as number) << 8));
    if (!ks) return;
    for (const k of ks) {
      const nd = needles[k] as Needle;
      const at = q - nd.anchor;
      if (at >= start && matchesAt(buffer, at, end, nd)) hits.push({ needle: k, at, newlinesBefore });
    }
  };

  return {
    kind: 'wasm',
    swizzle: relaxed ? 'relaxed' : 'strict',
    buffer,
    dataStart,
    capacity,
    setNeedles(next) {
      if (!setNeedles(next)) throw new Error('could not compile the scan kernel');
    },
    scan(start, end) {
      const hits: NeedleHit[] = [];
      let p = start;
      let nl = 0;
      for (;;) {
        const n = ex.scan(p, end, outStart, outRecords);
        for (let r = 0; r < n; r++) {
          const block = out[r * 4] as number;
          let mask = out[r * 4 + 1] as number;
          const before = nl + (out[r * 4 + 2] as number);
          const nlMask = out[r * 4 + 3] as number;
          while (mask !== 0) {
            const lane = 31 - Math.clz32(mask & -mask);
            mask &= mask - 1;
            verify(block + lane, start, end, before + popcount(nlMask & ((1 << lane) - 1)), hits);
          }
        }
        nl += ex.nl.value;
        p = ex.pos.value;
        if (n + 2 <= outRecords || p > end - 34) break;
      }
      // The last few bytes the kernel does not cover.
      for (let q = p; q < end; q++) {
        if (q + 2 <= end) verify(q, start, end, nl, hits);
        if (buffer[q] === 10) nl++;
      }
      hits.sort((a, b) => a.at - b.at || a.needle - b.needle);
      return { hits, newlines: nl };
    },
  };
}

/**
 * Expected false candidates per GiB (all needles together) up to which 2-byte anchors are worth it: the
 * kernel's cost depends on the anchor width, not on the number of needles, and width 3 costs ~100 ms per
 * GiB more than width 2, which pays for the verification of about this many candidates.
 */
const PAIR_CANDIDATES_PER_GIB = 400_000;

/**
 * Picks each needle's anchor from what is rarest in `sample` (a piece of the log about to be scanned),
 * so the kernel wakes up for as few false candidates as possible on this log: every needle's rarest
 * byte pair when those pairs together are rare enough, else every needle's rarest 3-byte window (one
 * 3-byte anchor makes the whole kernel 3 wide, so the widths are all or nothing).
 */
export function chooseAnchors(texts: readonly string[], sample: Uint8Array): Needle[] {
  const plain = texts.map((t) => makeNeedle(t));
  if (sample.length < 4096) return plain;
  // Pairs are counted directly; triples only when they start with a pair of some needle (hashed).
  const BITS = 16;
  const pairs = new Uint32Array(1 << 16);
  const triples = new Uint32Array(1 << BITS);
  const wanted = new Uint8Array(1 << 16);
  for (const n of plain) for (let i = 0; i + 2 < n.bytes.length; i++) wanted[pairKey(n.bytes, i)] = 1;
  const hash = (a: number, b: number, c: number) =>
    (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x100, 0x85ebca77) ^ Math.imul(c + 0x200, 0xc2b2ae3d)) >>> (32 - BITS);
  const last = sample.length - 1;
  for (let i = 0; i < last; i++) {
    const k = ((sample[i] as number) << 8) | (sample[i + 1] as number);
    pairs[k] = (pairs[k] as number) + 1;
    if (wanted[k] === 1 && i + 2 <= last) {
      const h = hash(sample[i] as number, sample[i + 1] as number, sample[i + 2] as number);
      triples[h] = (triples[h] as number) + 1;
    }
  }
  const choices = plain.map((n) => {
    const b = n.bytes;
    const score = (i: number, len: number) => {
      let s = 0;
      for (let j = 0; j < len; j++) s += commonness(b[i + j] as number);
      return s;
    };
    // Observed count first; the static guess only breaks ties (e.g. all zero in a small sample).
    let best3 = n.anchor;
    let best3Score = Number.POSITIVE_INFINITY;
    for (let i = 0; i + ANCHOR <= b.length; i++) {
      const sc = (triples[hash(b[i] as number, b[i + 1] as number, b[i + 2] as number)] as number) * 64 + score(i, 3);
      if (sc < best3Score) {
        best3Score = sc;
        best3 = i;
      }
    }
    let best2 = 0;
    let best2Count = Number.POSITIVE_INFINITY;
    let best2Score = Number.POSITIVE_INFINITY;
    for (let i = 0; i + 2 <= b.length; i++) {
      const count = pairs[pairKey(b, i)] as number;
      const sc = count * 64 + score(i, 2);
      if (sc < best2Score) {
        best2Score = sc;
        best2Count = count;
        best2 = i;
      }
    }
    return { needle: n, best2, best2Count, best3 };
  });
  const pairCandidates = choices.reduce((sum, c) => sum + c.best2Count, 0);
  const pairLimit = (PAIR_CANDIDATES_PER_GIB * sample.length) / 2 ** 30;
  if (pairCandidates <= pairLimit)
    return choices.map((c) => ({ ...c.needle, anchor: c.best2, anchorLength: 2 as const }));
  return choices.map((c) => ({ ...c.needle, anchor: c.best3 }));
}

function pairKey(b: Uint8Array, i: number): number {
  return ((b[i] as number) << 8) | (b[i + 1] as number);
}

function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** The SIMD scanner when available, else the JS one. `prefer: 'js'` forces the reference implementation. */
export function createNeedleScanner(
  needles: readonly Needle[],
  capacity: number,
  prefer: 'wasm' | 'js' = 'wasm',
): NeedleScanner {
  return (prefer === 'wasm' ? createWasmScanner(needles, capacity) : null) ?? createJsScanner(needles, capacity);
}
