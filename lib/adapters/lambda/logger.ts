import type { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { Logger } from '../../ports';

/** Keys Powertools writes itself and drops (with a warning) from extra data. */
const RESERVED_KEYS = new Set(['level', 'message', 'sampling_rate', 'service', 'timestamp']);

/**
 * Adapts a Powertools `Logger` to the engine's {@link Logger} port: one JSON
 * line per event, the event name as `message` and the event's data as extra
 * keys beside the request id, bundle and stage the handler appended. A data
 * key Powertools reserves (`message`, `level`…) is written as `data_<key>`
 * rather than lost.
 *
 * @example
 * const logger = new PowertoolsEventLogger(new Logger({ serviceName: 'stagegate' }));
 * logger.info('migration.applied', { id: 'organization/0001_initial', durationMs: 12 });
 * // {"level":"INFO","message":"migration.applied",…,"id":"organization/0001_initial","durationMs":12}
 */
export class PowertoolsEventLogger implements Logger {
  constructor(private readonly logger: PowertoolsLogger) {}

  debug(event: string, data?: Record<string, unknown>): void {
    this.logger.debug(event, safeKeys(data));
  }

  info(event: string, data?: Record<string, unknown>): void {
    this.logger.info(event, safeKeys(data));
  }

  warn(event: string, data?: Record<string, unknown>): void {
    this.logger.warn(event, safeKeys(data));
  }

  error(event: string, data?: Record<string, unknown>): void {
    this.logger.error(event, safeKeys(data));
  }
}

function safeKeys(data: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) out[RESERVED_KEYS.has(key) ? `data_${key}` : key] = value;
  return out;
}
