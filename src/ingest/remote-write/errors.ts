/** A request that can never be accepted; `status` is what the route answers (400, 413 or 415). */
export class RemoteWriteError extends Error {
  override readonly name = 'RemoteWriteError';
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
