// Sequential oracles for the browser suite, independent of weft: plain
// loops on the page's thread.

export function fibSeq(n) {
  let a = 0, b = 1;
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

// Solutions of the n-queens problem, by bitmask backtracking.
export function nqueensSeq(n) {
  const all = (1 << n) - 1;
  const place = (cols, d1, d2) => {
    if (cols === all) return 1;
    let count = 0;
    for (let free = all & ~(cols | d1 | d2); free; free &= free - 1) {
      const bit = free & -free;
      count += place(cols | bit, ((d1 | bit) << 1) & all, (d2 | bit) >> 1);
    }
    return count;
  };
  return place(0, 0, 0);
}

// Nodes of the benchmark tree (bench/common.h: splitmix64 hashes, root
// branching b0, then 8 children below a threshold), counted with BigInt.
export function treeSeq(b0) {
  const M = (1n << 64n) - 1n;
  const mix = (z) => {
    z ^= z >> 30n; z = (z * 0xbf58476d1ce4e5b9n) & M;
    z ^= z >> 27n; z = (z * 0x94d049bb133111ebn) & M;
    z ^= z >> 31n; return z;
  };
  const threshold = BigInt(Math.floor(0.124875 * 2 ** 64));
  const child = (h, i) => mix((h + BigInt(i + 1) * 0x9e3779b97f4a7c15n) & M);
  let count = 0;
  const stack = [[mix(225n), 0]];
  while (stack.length) {
    const [h, d] = stack.pop();
    count++;
    const k = d === 0 ? b0 : h < threshold ? 8 : 0;
    for (let i = 0; i < k; i++) stack.push([child(h, i), d + 1]);
  }
  return count;
}

// The value of a reduction as documented (src/wasm/host_loop.c): leaves of
// `grain` items (or min(n, 256) equal leaves without one), node [a, b) =
// combine(node [a, mid), node [mid, b)), mid = a + (b - a) / 2; 0 if empty.
export function reduceTreeOracle(begin, end, grain, leafValue, combine) {
  const n = end - begin;
  if (n === 0) return 0;
  const m = grain ? Math.ceil(n / grain) : Math.min(n, 256);
  const start = (i) => begin + (grain ? Math.min(i * grain, n) : Math.floor((i * n) / m));
  const node = (a, b) => {
    if (b - a === 1) return leafValue(start(a), start(b));
    const mid = a + ((b - a) >>> 1);
    return combine(node(a, mid), node(mid, b));
  };
  return node(0, m);
}
