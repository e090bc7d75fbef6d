import pino, { type Logger } from 'pino';

export type { Logger };

/** One JSON line per event on stdout; the level comes from config. */
export function createLogger(level: string): Logger {
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime });
}
