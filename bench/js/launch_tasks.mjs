// JavaScript tasks of the launched-task benchmark (launch.mjs).

// One link of a chain launched from the main thread, each after the
// previous: v[i] = v[i - 1] + 1 (v[0] = 1). A link that ran early reads 0.
export function jlink(ctx, v, i) {
  v[i] = (i ? v[i - 1] : 0) + 1;
  return v[i];
}

// The n x n wavefront of C cells (wf_cell, js/csrc/launch_tasks.c) launched
// in one bulk call (ctx.launchMany): cell k after (i-1, j) and (i, j-1).
// The cells are this task's children: it completes after the last one.
export function wavefront(ctx, grid, n, after) {
  ctx.launchMany('wf_cell', n * n, after, 2, grid, n).release();
  return n * n;
}

// The same, one ctx.launch per cell (children; handles released once both
// successors are launched).
export function wavefront_each(ctx, grid, n) {
  let prev = new Array(n);
  let cur = new Array(n);
  const none = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const after = i > 0 ? (j > 0 ? [prev[j], cur[j - 1]] : [prev[j]]) : j > 0 ? [cur[j - 1]] : none;
      cur[j] = ctx.launch('wf_cell', grid, n, i * n + j, { after, child: true });
      if (i > 0) prev[j].release();
    }
    [prev, cur] = [cur, prev];
  }
  for (let j = 0; j < n; j++) prev[j].release();
  return n * n;
}
