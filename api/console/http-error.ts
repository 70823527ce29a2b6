// The console's errors carry an HTTP status as Koa's own errors do; api/errors.ts (the one error boundary) turns any
// 4xx status into its error code. The console imports nothing from api/ itself, so api/server.ts can mount it.
export class ConsoleError extends Error {
  readonly expose = true;

  constructor(
    readonly status: 400 | 401 | 403 | 404,
    message: string,
  ) {
    super(message);
    this.name = 'ConsoleError';
  }
}
