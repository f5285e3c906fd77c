// Compile-time assertions for the type tests: assertType<Equal<A, B>>()
// fails to compile unless A and B are the same type (not merely assignable),
// so a declaration that changes type (say, run() giving Promise<any>) is caught.

export type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;

export function assertType<_T extends true>(): void {}
