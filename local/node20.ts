/**
 * aws-local-stepfunctions 3 calls `Promise.withResolvers`, which Node.js
 * has from version 22. This gives Node 20 the same function, so the local
 * stack runs on both; Lambda (nodejs22.x) never loads this file.
 */
type WithResolvers = <T>() => {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
};

const promise = Promise as unknown as { withResolvers?: WithResolvers };
promise.withResolvers ??= <T>() => {
  let resolve!: (value: T | PromiseLike<T>) => void;
  let reject!: (reason?: unknown) => void;
  const created = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise: created, resolve, reject };
};
