// A host thread: one Node worker_thread or Web Worker with its own instance
// of weft.wasm on the pool's shared memory. It sets up its own stack and TLS
// (carved from a block the main thread allocated), imports the task module
// and reports 'ready'. Then, on 'enter', it lends itself to the pool as
// worker i (weft_worker_enter: the worker loop runs here, in wasm, until the
// pool is destroyed); the pool's extra control thread instead gets
// 'destroy' (weft_pool_destroy waits, which the page's main thread may not).

import { isNode, nowMs } from './common.js';
import { TaskRuntime } from './runtime.js';

let post;
let ex = null;

async function init(msg) {
  const { module, memory, block, stackSize, tasksUrl, cores } = msg;
  const rt = new TaskRuntime(memory);
  const imports = {
    env: { memory },
    weft: { now_ms: nowMs, core_count: () => cores, js_call: (w, b) => rt.jsCall(w, b),
      js_chunk: (w, l, lo, hi) => rt.jsChunk(w, l, lo, hi), js_launch: (w, b) => rt.jsLaunch(w, b) },
  };
  const inst = await WebAssembly.instantiate(module, imports);
  ex = inst.exports;
  // Own stack first (nothing may run on the default stack, which is the
  // main thread's), then own TLS right above it.
  ex.__stack_pointer.value = block + stackSize;
  ex.__wasm_init_tls(block + stackSize);
  rt.attach(ex);
  // Completion 'message': the root that ends a run says so (runtime.js).
  rt.onRootDone = (run) => post({ type: 'done', run });
  if (tasksUrl) {
    let mod;
    try {
      mod = await import(tasksUrl);
    } catch (e) {
      throw new Error(`cannot import task module ${tasksUrl}: ${e && e.message}`);
    }
    rt.setTasks(mod);
  }
  post({ type: 'ready', names: rt.jsNames });
}

function onMessage(msg) {
  if (!msg) return;
  if (msg.type === 'init') {
    init(msg).catch((e) => post({ type: 'error', message: String((e && e.message) || e), stack: e && e.stack }));
  } else if (msg.type === 'enter') {
    // Runs worker msg.index until the pool is destroyed.
    post({ type: 'entered', index: msg.index });
    let rc;
    try {
      rc = ex.weft_wasm_worker_enter(msg.pool, msg.index);
    } catch (e) {
      post({ type: 'error', message: `worker ${msg.index} trapped: ${e && e.message}`, stack: e && e.stack });
      return;
    }
    post({ type: 'left', rc });
  } else if (msg.type === 'destroy') {
    let rc;
    try {
      rc = ex.weft_wasm_pool_destroy(msg.pool);
    } catch (e) {
      rc = -1000;
    }
    post({ type: 'destroyed', rc });
  }
}

if (isNode) {
  import('node:worker_threads').then(({ parentPort }) => {
    post = (m) => parentPort.postMessage(m);
    parentPort.on('message', onMessage);
  });
} else {
  post = (m) => self.postMessage(m);
  self.onmessage = (e) => onMessage(e.data);
}
