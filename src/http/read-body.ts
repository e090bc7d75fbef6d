import type { IncomingMessage } from 'node:http';

/**
 * Reads a request body up to `limit` bytes; null when it is longer. The caller then answers 413
 * with `Connection: close` ({@link CLOSE_AFTER_413}): a body cut short (chunked, or lying about its
 * length) leaves the connection in an unknown state, and a keep-alive client would wait forever
 * for the answer to its next request on it.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return null;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume();
      return null;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Headers of a 413 answered before the body was read in full: the server closes the connection. */
export const CLOSE_AFTER_413 = { connection: 'close' } as const;
