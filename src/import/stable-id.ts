import { uuidV5 } from '../domain/uuid';

/** The namespace of every id the FOCUS import derives (a fixed random UUID; never change it). */
export const FOCUS_ID_NAMESPACE = '3f0b6c1e-8d4a-4c7e-9b51-2a6f0e9d7c42';

/**
 * The id of an account or resource of a bill: the same parts always give the same id, so
 * re-importing a bill maps every account and resource to the ids it got the first time. Parts
 * are joined with NUL, which no FOCUS value contains.
 */
export function stableId(...parts: string[]): string {
  return uuidV5(FOCUS_ID_NAMESPACE, parts.join('\u0000'));
}
