import fs from 'node:fs';
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';

/**
 * Answers 200 with a file of `size` bytes and these headers (Content-Length added); a HEAD
 * request gets the headers only. A client that leaves mid-download is routine, not a fault.
 */
export async function streamFile(
  res: ServerResponse,
  file: string,
  size: number,
  headers: Record<string, string>,
): Promise<void> {
  res.writeHead(200, { ...headers, 'content-length': size });
  if (res.req?.method === 'HEAD') {
    res.end();
    return;
  }
  try {
    await pipeline(fs.createReadStream(file), res);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
  }
}
