import type { Logger } from '../ports';
import { planLine, REVERT_MARK, targetPlanHeading } from './render-target';
import type { Style } from './style';

export interface Writer {
  write(text: string): unknown;
}

/**
 * The CLI's logger: renders the engine's events as human lines as they
 * happen (the plan, each migration with its duration). Debug events show
 * only with --verbose, as `event {json}`.
 *
 * @example
 * const logger = new ConsoleLogger(process.stdout, style, { verbose: false });
 */
export class ConsoleLogger implements Logger {
  constructor(
    private readonly out: Writer,
    private readonly style: Style,
    private readonly options: { verbose: boolean },
  ) {}

  debug(event: string, data?: Record<string, unknown>): void {
    if (this.options.verbose) this.out.write(this.style.dim(`${event} ${JSON.stringify(data ?? {})}`) + '\n');
  }

  info(event: string, data: Record<string, unknown> = {}): void {
    const line = this.render(event, data);
    if (line !== null) this.out.write(line + '\n');
    else this.debug(event, data);
  }

  warn(event: string, data: Record<string, unknown> = {}): void {
    const line = this.render(event, data) ?? `${event} ${JSON.stringify(data)}`;
    this.out.write(this.style.yellow(`warning: ${line}`) + '\n');
  }

  error(event: string, data: Record<string, unknown> = {}): void {
    // Failures are printed in full by the CLI's error renderer; keep this to --verbose.
    this.debug(event, data);
  }

  private render(event: string, data: Record<string, unknown>): string | null {
    const s = this.style;
    switch (event) {
      case 'plan.ready': {
        const pending = (data.pending as string[] | undefined) ?? [];
        if (pending.length === 0) return null;
        const order = data.order as { kind: string; id: string }[] | undefined;
        if (typeof data.to === 'string' && order) return [targetPlanHeading(data.to, order), ...order.map((step, i) => planLine(step, i, s))].join('\n');
        return `Plan: ${pending.length} migration${pending.length === 1 ? '' : 's'} to apply\n` + pending.map((id, i) => `  ${i + 1}. ${id}`).join('\n');
      }
      case 'migration.started':
        return this.options.verbose ? s.dim(`  … ${String(data.id)}${data.noTransaction ? ' (no transaction)' : ''}`) : null;
      case 'migration.revert_started':
        return this.options.verbose ? s.dim(`  … ${REVERT_MARK} ${String(data.id)}${data.noTransaction ? ' (no transaction)' : ''}`) : null;
      case 'migration.reverted':
        return `  ${s.yellow(REVERT_MARK)} ${String(data.id)}  ${s.dim(`reverted, ${String(data.durationMs)} ms`)}`;
      case 'migration.applied':
        return `  ${s.green('✓')} ${String(data.id)}  ${s.dim(`${String(data.durationMs)} ms`)}`;
      case 'migration.recorded':
        return `  ${s.green('✓')} ${String(data.id)}  ${s.dim('recorded (every migration it replaces is applied)')}`;
      case 'run.stopped':
        if (data.reason === 'interrupted') {
          return data.interrupted !== undefined ? `stopped: ${String(data.interrupted)} was cancelled (${String(data.left)}); no further migration starts` : `stopped before ${String(data.next)}: interrupted; no further migration starts`;
        }
        if (data.rehearse === true) return `rehearsal stopped before ${String(data.next)}: the time limit is near`;
        return `stopped before ${String(data.next)}: the time limit is near; ${String(data.pending)} migration(s) left for the next run`;
      case 'bundle.published':
        return s.dim(`bundle ${String(data.bundle).slice(0, 12)} ${data.uploaded ? 'published to' : 'already at'} ${String(data.location)}`);
      case 'function.invoked':
        return s.dim(`invoking ${String(data.function)} (stage ${String(data.stage)})${Number(data.attempt) > 1 ? `, call ${String(data.attempt)}` : ''}`);
      case 'run.continued':
        return `the function stopped at its time limit with ${String(data.pending)} migration(s) pending; invoking again (${String(data.next)}/${String(data.limit)})`;
      case 'drift.detected':
        return `${String(data.count)} object(s) changed outside migrations (drift setting warn: running anyway):\n${(data.differences as string[]).join('\n')}`;
      case 'command.started':
        return s.dim(`target: ${String(data.target)}`);
      case 'embedded.note':
        return s.dim(String(data.message));
      default:
        return null;
    }
  }
}
