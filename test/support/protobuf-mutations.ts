/**
 * Byte-level mutations of a protobuf (or snappy) body, 1 to 4 per call, some aimed at varints,
 * lengths and wire types; `pool` is the corpus to splice pieces from. Deterministic for a given `rnd`.
 */
export function mutate(input: Buffer, rnd: () => number, pool: Buffer[]): Buffer {
  let buf = Buffer.from(input);
  const int = (n: number): number => Math.floor(rnd() * n);
  const rounds = 1 + int(4);
  for (let r = 0; r < rounds; r++) {
    const at = int(buf.length + 1);
    switch (int(10)) {
      case 0: // flip one bit
        if (buf.length) buf[at % buf.length]! ^= 1 << int(8);
        break;
      case 1: // random byte
        if (buf.length) buf[at % buf.length] = int(256);
        break;
      case 2: // insert random bytes
        buf = Buffer.concat([
          buf.subarray(0, at),
          Buffer.from(Array.from({ length: 1 + int(8) }, () => int(256))),
          buf.subarray(at),
        ]);
        break;
      case 3: // delete a range
        buf = Buffer.concat([buf.subarray(0, at), buf.subarray(Math.min(buf.length, at + 1 + int(16)))]);
        break;
      case 4: // truncate
        buf = buf.subarray(0, at);
        break;
      case 5: {
        // duplicate a range somewhere else
        const s = int(buf.length + 1);
        const piece = buf.subarray(s, Math.min(buf.length, s + 1 + int(64)));
        buf = Buffer.concat([buf.subarray(0, at), piece, buf.subarray(at)]);
        break;
      }
      case 6: {
        // a huge or overlong varint (lengths, tags, refs)
        const huge = [0xff, 0xff, 0xff, 0xff, 0x0f];
        const overlong = Array.from({ length: 1 + int(12) }, () => 0x80 | int(128)).concat([int(128)]);
        buf = Buffer.concat([
          buf.subarray(0, at),
          Buffer.from(rnd() < 0.5 ? huge : overlong),
          buf.subarray(at + int(3)),
        ]);
        break;
      }
      case 7: // bump a byte that may be a length
        if (buf.length) buf[at % buf.length] = (buf[at % buf.length]! + 1 + int(4)) & 0xff;
        break;
      case 8: {
        // splice in part of another corpus entry
        const other = pool[int(pool.length)] as Buffer;
        const s = int(other.length + 1);
        buf = Buffer.concat([buf.subarray(0, at), other.subarray(s, s + int(48)), buf.subarray(at)]);
        break;
      }
      default: // wire types 3/4/6/7 and field 0
        buf = Buffer.concat([
          buf.subarray(0, at),
          Buffer.from([[0x03, 0x04, 0x06, 0x07, 0x0b, 0x00][int(6)] as number]),
          buf.subarray(at),
        ]);
    }
  }
  return buf;
}
