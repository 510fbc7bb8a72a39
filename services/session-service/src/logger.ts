/** pino options: readable lines in a terminal, one JSON object per line everywhere else. */
import type { LoggerOptions } from 'pino';
import type { LogLevel } from './config.js';

export function loggerOptions(
  level: LogLevel,
  pretty: boolean = process.stdout.isTTY,
): LoggerOptions {
  if (!pretty) return { level };
  return {
    level,
    transport: {
      target: 'pino-pretty',
      // Written from the transport's worker straight to fd 1, so that nothing is lost when the
      // process exits right after the shutdown messages.
      options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname', destination: 1, sync: true },
    },
  };
}
