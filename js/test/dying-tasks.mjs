// A task that ends its worker thread (Node worker_threads: process.exit in a
// worker ends only that worker), for the "a worker dies during a run" test.
export function die(ctx) {
  process.exit(3);
}
