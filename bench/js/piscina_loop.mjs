// piscina task of loops.mjs: axpy / sum over [lo, hi) of shared arrays
// (SharedArrayBuffers travel by reference in each task's message).
export default ({ op, xs, ys, lo, hi, a }) => {
  const x = new Float64Array(xs);
  if (op === 'axpy') {
    const y = new Float64Array(ys);
    for (let i = lo; i < hi; i++) y[i] += a * x[i];
    return 0;
  }
  let s = 0;
  for (let i = lo; i < hi; i++) s += x[i];
  return s;
};
