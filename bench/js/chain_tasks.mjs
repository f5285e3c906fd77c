// JavaScript tasks of the chain benchmark (chain.mjs).

// One link: the previous result plus one.
export function jstep(ctx, x) {
  return x + 1;
}

// A chain of n JavaScript tasks spawned from a task: each is spawned only
// after the previous one's result came back.
export function jchain(ctx, n) {
  let x = 0;
  for (let i = 0; i < n; i++) {
    ctx.spawn('jstep', x);
    x = ctx.sync();
  }
  return x;
}

// The same chain of C tasks ('add' of csrc/tasks.c) spawned from JavaScript.
export function jcchain(ctx, n) {
  let x = 0;
  for (let i = 0; i < n; i++) {
    ctx.spawn('add', x, 1);
    x = ctx.sync();
  }
  return x;
}

// A graph node of a chain: v[i] = v[i - 1] + 1 (as the C task chain_step).
export function jchain_step(ctx, v, i) {
  v[i] = (i ? v[i - 1] : 0) + 1;
  return v[i];
}

// An empty graph node (graph.mjs: the JavaScript twin of the C task 'nop').
export function jnop(ctx) {
  return 0;
}
