import { UsageError } from '../core/errors';
import type { ResolveRequest } from '../resolve';
import type { ParsedArgs } from './args';

/**
 * What `stagegate resolve <id> --applied|--rolled-back [--reason TEXT]`
 * asks, without the actor. Exactly one outcome flag, else a usage error.
 *
 * @example
 * resolveChoice(parseCommandLine(['resolve', 'shop/0004_index', '--rolled-back'])); // { id: 'shop/0004_index', outcome: 'rolled-back' }
 */
export function resolveChoice(args: ParsedArgs): Omit<ResolveRequest, 'actor'> {
  const outcome = args.options.applied ? 'applied' : args.options['rolled-back'] ? 'rolled-back' : null;
  if (outcome === null || (args.options.applied && args.options['rolled-back'])) {
    throw new UsageError('stagegate resolve needs exactly one of --applied or --rolled-back.');
  }
  return { id: args.positionals[0] as string, outcome, ...(typeof args.options.reason === 'string' ? { reason: args.options.reason } : {}) };
}

/**
 * The human line of a resolve: what was decided, where, and the failure it settled.
 *
 * @example
 * describeResolve({ id: 'shop/0004_index', outcome: 'rolled-back', failure: null }, 'prod'); // 'Resolved shop/0004_index as rolled-back on stage prod.'
 */
export function describeResolve(json: Record<string, unknown>, stage?: string): string {
  const failure = json.failure as { code: string | null; message: string } | null | undefined;
  const after = failure ? `, after its failure (${failure.code ?? 'error'}: ${failure.message})` : '';
  return `Resolved ${String(json.id)} as ${String(json.outcome)}${stage === undefined ? '' : ` on stage ${stage}`}${after}.`;
}
