/**
 * mulberry32: numbers in [0, 1) from a seed, the same sequence every run, so a randomized history that fails
 * can be made again from the seed in the test's name (and a bench gives two databases the same load).
 */
export function seededRandom(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
