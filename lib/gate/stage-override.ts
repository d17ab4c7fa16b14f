import { MAX_OVERRIDE_REASON } from '../core/stage-record';
import { parseFlagReason } from './flag-reason';

/**
 * The stage-order override of a command line: `--override-stage-order`
 * needs `--reason "<why>"` (non-empty, at most 500 characters), which is
 * recorded in the stage's runs table and stage record. Undefined without
 * the flag. `reasonGoesAlone` lets `--reason` serve another flag (promote's
 * `--force`) without the override.
 *
 * @example
 * parseStageOrderOverride(true, 'hotfix INC-123'); // { reason: 'hotfix INC-123' }
 */
export function parseStageOrderOverride(flag: unknown, reason: unknown, reasonGoesAlone = false): { reason: string } | undefined {
  return parseFlagReason(flag, reason, {
    needs: [
      '--override-stage-order needs --reason "<why>": the override is recorded with the run.',
      'Run again with --override-stage-order --reason "hotfix INC-123" (say why this stage goes before the previous one).',
    ],
    ...(reasonGoesAlone ? {} : { goesWith: ['--reason goes with --override-stage-order.', 'Add --override-stage-order, or leave --reason out.'] as [string, string] }),
    maxLength: MAX_OVERRIDE_REASON,
  });
}
