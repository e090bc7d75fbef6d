import { createHash } from 'node:crypto';

/** The namespace of every id the FOCUS import derives (a fixed random UUID; never change it). */
export const FOCUS_ID_NAMESPACE = '3f0b6c1e-8d4a-4c7e-9b51-2a6f0e9d7c42';

const NAMESPACE_BYTES = Buffer.from(FOCUS_ID_NAMESPACE.replace(/-/g, ''), 'hex');

/**
 * A name-based UUID, version 5 (RFC 9562 §5.5: SHA-1 over namespace + name): the same parts
 * always give the same id, so re-importing a bill maps every account and resource to the ids
 * it got the first time. Parts are joined with NUL, which no FOCUS value contains.
 */
export function stableId(...parts: string[]): string {
  const hash = createHash('sha1').update(NAMESPACE_BYTES).update(parts.join('\u0000'), 'utf8').digest();
  hash[6] = ((hash[6] as number) & 0x0f) | 0x50;
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
