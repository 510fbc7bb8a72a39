/**
 * The simulation's only source of randomness: xoshiro128** (Blackman and Vigna), seeded through
 * splitmix32. Small, fast, and its whole state is four 32-bit words, so a snapshot carries it
 * and a restored simulation draws exactly the numbers the original would have.
 */

export type PrngState = [number, number, number, number];

function splitmix32(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Prng {
  private s: PrngState;

  private constructor(state: PrngState) {
    this.s = state;
  }

  /** A generator for `seed` (any integer; taken modulo 2^32). */
  static fromSeed(seed: number): Prng {
    const next = splitmix32(seed);
    return new Prng([next(), next(), next(), next()]);
  }

  static fromState(state: PrngState): Prng {
    return new Prng([...state]);
  }

  state(): PrngState {
    return [...this.s];
  }

  /** A uniform integer in [0, 2^32). */
  nextU32(): number {
    const [s0, s1, s2, s3] = this.s;
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    let n2 = (s2 ^ s0) >>> 0;
    let n3 = (s3 ^ s1) >>> 0;
    const n1 = (s1 ^ n2) >>> 0;
    const n0 = (s0 ^ n3) >>> 0;
    n2 = (n2 ^ t) >>> 0;
    n3 = rotl(n3, 11);
    this.s = [n0, n1, n2, n3];
    return result;
  }

  /** A uniform float in [0, 1). */
  nextFloat(): number {
    return this.nextU32() / 0x1_0000_0000;
  }

  /** True with probability `p` (0 never draws: impairments at rate 0 consume no randomness). */
  chance(p: number): boolean {
    if (p <= 0) return false;
    return this.nextFloat() < p;
  }

  /** A uniform integer in [0, n), n >= 1. */
  nextInt(n: number): number {
    return Math.floor(this.nextFloat() * n);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
