// The Mandelbrot kernel of the demo: one tile of the image, written as
// smooth iteration counts (-1 inside the set). Shared by the weft task
// (demo-tasks.js, on the workers) and the sequential oracle (the page's
// main thread), so both compute exactly the same numbers.

// params (a Float64Array): width, height, tile size, x of the left edge,
// y of the top edge, step per pixel, iteration limit.
export const P_W = 0, P_H = 1, P_TILE = 2, P_X0 = 3, P_Y0 = 4, P_STEP = 5, P_ITER = 6;

export function tileCount(params) {
  const t = params[P_TILE];
  return Math.ceil(params[P_W] / t) * Math.ceil(params[P_H] / t);
}

// Computes tile `k` into out (a Float32Array of width*height); returns the
// sum of the integer iteration counts (a checksum that is exact in f64).
export function computeTile(out, params, k) {
  const W = params[P_W], H = params[P_H], T = params[P_TILE];
  const x0 = params[P_X0], y0 = params[P_Y0], step = params[P_STEP], maxIter = params[P_ITER];
  const tilesX = Math.ceil(W / T);
  const tx = (k % tilesX) * T, ty = Math.floor(k / tilesX) * T;
  let sum = 0;
  for (let py = ty; py < Math.min(ty + T, H); py++) {
    const ci = y0 + py * step;
    for (let px = tx; px < Math.min(tx + T, W); px++) {
      const cr = x0 + px * step;
      let zr = 0, zi = 0, zr2 = 0, zi2 = 0, n = 0;
      while (n < maxIter && zr2 + zi2 <= 256) {
        zi = 2 * zr * zi + ci;
        zr = zr2 - zi2 + cr;
        zr2 = zr * zr;
        zi2 = zi * zi;
        n++;
      }
      sum += n;
      // Smooth colouring: fractional escape count (log-log of |z|).
      out[py * W + px] = n >= maxIter ? -1 : n + 1 - Math.log2(Math.log2(zr2 + zi2) / 2);
    }
  }
  return sum;
}
