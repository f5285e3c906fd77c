// weft JavaScript tasks of the demo page (every exported function is a task;
// each worker imports this module).
import { computeTile } from './mandel.js';

// Renders tiles [lo, hi): halves the range and spawns one half until a
// single tile is left, so idle workers steal big halves first. Records which
// worker computed each tile in owner[tile]; returns the iteration checksum.
export function mandel_tiles(ctx, out, params, owner, lo, hi) {
  if (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    ctx.spawn('mandel_tiles', out, params, owner, lo, mid);
    const b = mandel_tiles(ctx, out, params, owner, mid, hi);
    return ctx.sync() + b;
  }
  owner[lo] = ctx.worker;
  return computeTile(out, params, lo);
}
