import snappy from 'snappy';
import { RemoteWriteError } from './errors';

/** Snappy BLOCK decompression, reading the decoded length from the preamble varint FIRST and refusing (413) above maxDecodedBytes before any decompression; corrupt input -> 400. */
export function decompressSnappy(body: Buffer, maxDecodedBytes: number): Buffer {
  // Snappy block format: the stream starts with the decoded length as a little-endian base-128
  // varint of at most 32 bits (format_description.txt §1), so the cap is checked before allocating.
  let decodedLen = 0;
  let p = 0;
  for (let shift = 1; ; shift *= 128, p++) {
    if (p >= body.length) throw new RemoteWriteError(400, 'corrupt snappy block: truncated length preamble');
    if (p >= 5) throw new RemoteWriteError(400, 'corrupt snappy block: length preamble longer than 5 bytes');
    const b = body[p]!;
    decodedLen += (b & 0x7f) * shift;
    if (b < 0x80) break;
  }
  p++;
  if (decodedLen > 0xffffffff)
    throw new RemoteWriteError(400, 'corrupt snappy block: decoded length over 2^32');
  if (decodedLen > maxDecodedBytes)
    throw new RemoteWriteError(
      413,
      `decoded body of ${decodedLen} bytes exceeds the limit of ${maxDecodedBytes} bytes`,
    );
  // No snappy element expands more than 64 bytes out of 3 in (a 2-byte-offset copy), so a larger
  // claim is corrupt: refusing it here avoids allocating the claimed size for a tiny hostile body.
  if (decodedLen > ((body.length - p) * 64) / 3)
    throw new RemoteWriteError(
      400,
      `corrupt snappy block: ${body.length} bytes cannot decode to ${decodedLen}`,
    );
  let out: string | Buffer;
  try {
    // copyOutputData: with the default (external buffer) output, uncompress slowed ~5x after a few
    // hundred calls as buffers awaiting finalization piled up; the same holds for compressSync,
    // which the route calls (bench/ingest-codec.bench.ts prints both settings).
    out = snappy.uncompressSync(body, { asBuffer: true, copyOutputData: true });
  } catch (cause) {
    throw new RemoteWriteError(400, `corrupt snappy block: ${(cause as Error).message}`, { cause });
  }
  if (typeof out === 'string' || out.length !== decodedLen)
    throw new RemoteWriteError(400, 'corrupt snappy block: decoded size differs from its preamble');
  return out;
}
