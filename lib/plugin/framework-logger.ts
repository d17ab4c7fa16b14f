import { ConsoleLogger } from '../cli/console-logger';
import { styleFor } from '../cli/style';
import type { Logger } from '../ports';

/** The framework's log (v3's `log` from the plugin's third argument, v4 and osls alike). */
export interface FrameworkLog {
  notice(text: string): void;
  warning(text: string): void;
  error(text: string): void;
  info?(text: string): void;
}

/** Plain text: the framework styles its own output. */
const PLAIN = styleFor({ isTTY: false }, {});

/**
 * The gate's events as the framework's log lines: the engine's events as
 * the CLI prints them, and the gate's own (alias pinned, alias moved,
 * uncommitted migrations) in words. Warnings go through `log.warning`.
 *
 * @example
 * const logger = new FrameworkLogger(log);
 */
export class FrameworkLogger implements Logger {
  private readonly console: ConsoleLogger;

  constructor(private readonly log: FrameworkLog) {
    const write = (text: string): void => {
      for (const line of text.replace(/\n$/, '').split('\n')) {
        if (line.startsWith('warning: ')) this.log.warning(line.slice('warning: '.length));
        else this.log.notice(line);
      }
    };
    this.console = new ConsoleLogger({ write }, PLAIN, { verbose: false });
  }

  debug(event: string, data?: Record<string, unknown>): void {
    this.log.info?.(`${event} ${JSON.stringify(data ?? {})}`);
  }

  info(event: string, data: Record<string, unknown> = {}): void {
    const line = gateLine(event, data);
    if (line !== null) this.log.notice(line);
    else this.console.info(event, data);
  }

  warn(event: string, data: Record<string, unknown> = {}): void {
    const line = gateLine(event, data);
    if (line !== null) this.log.warning(line);
    else this.console.warn(event, data);
  }

  error(event: string, data: Record<string, unknown> = {}): void {
    const line = gateLine(event, data);
    if (line !== null) this.log.error(line);
    else this.debug(event, data);
  }
}

function gateLine(event: string, data: Record<string, unknown>): string | null {
  const fn = String(data.function);
  const alias = String(data.alias);
  switch (event) {
    case 'gate.bundle.built':
      return `stagegate: bundle ${String(data.bundle).slice(0, 12)} built from ${String(data.folder)} (${String(data.migrations)} migration${data.migrations === 1 ? '' : 's'})`;
    case 'gate.uncommitted':
      return `stagegate: DEPLOYING UNCOMMITTED MIGRATIONS (--allow-uncommitted). ${String(data.message)}`;
    case 'gate.uncommitted.packaged':
      return `stagegate: this package holds migrations that are not committed; \`serverless deploy --package\` will refuse it without --allow-uncommitted. ${String(data.message)}`;
    case 'gate.alias.pinned':
      return `stagegate: ${alias} of ${fn} stays on version ${String(data.version)} during the stack update`;
    case 'gate.alias.first':
      return `stagegate: ${fn} has no ${alias} alias yet (first deploy): it serves the new version as soon as the stack is created`;
    case 'gate.alias.moved':
      return data.from === data.to
        ? `stagegate: ${alias} of ${fn} already on version ${String(data.to)}`
        : `stagegate: ${alias} of ${fn} moved from version ${String(data.from ?? 'none')} to ${String(data.to)}`;
    case 'gate.alias.kept':
      return keptLine(data);
    case 'gate.rehearsed':
      return `stagegate: rehearsal passed (${String(data.migrations)} migration(s)); applying them now`;
    case 'gate.promote.schema':
      return schemaLine(data);
    case 'gate.promote.forced':
      return `stagegate: --force: ${String(data.message)}${data.reason ? ` Reason given: ${String(data.reason)}` : ''}`;
    default:
      return null;
  }
}

/** What stopped the deploy, by code; any other (a refusal such as STAGE_ORDER, a lock, a bundle) ran no migration of its own or did not finish. */
const WHAT_STOPPED: Record<string, string> = { MIGRATION_FAILED: 'the migrations failed', REHEARSAL_FAILED: 'the rehearsal failed' };

function keptLine(data: Record<string, unknown>): string {
  const [alias, stage] = [String(data.alias), String(data.stage)];
  const failed = `stagegate: ${WHAT_STOPPED[String(data.code)] ?? 'the migrations did not complete'} on stage ${stage} (${String(data.code)}); `;
  const servingNew = Array.isArray(data.servingNew) ? (data.servingNew as string[]) : [];
  const state =
    servingNew.length > 0
      ? `${alias} of ${servingNew.join(', ')} already serves the new version: this is its first deploy, so there was no earlier version to keep serving.`
      : `${alias} was not moved, the previous version keeps serving and nothing needs rolling back.`;
  return `${failed}${state} Do what the error below says, then run \`serverless deploy --stage ${stage}\` again.`;
}

function schemaLine(data: Record<string, unknown>): string {
  const list = (key: string): string[] => (Array.isArray(data[key]) ? (data[key] as string[]) : []);
  const [unknown, pending] = [list('unknown'), list('pending')];
  const parts = ['stagegate: the database keeps every migration it applied (promote changes no schema; `migrate --to` reverts)'];
  if (unknown.length > 0) parts.push(`version ${String(data.version)} does not know ${unknown.join(', ')}`);
  if (pending.length > 0) parts.push(`version ${String(data.version)} expects ${pending.join(', ')}, not applied`);
  return parts.join('; ');
}
