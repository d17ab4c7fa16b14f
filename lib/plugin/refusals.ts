import { DeployRefusedError } from '../core/errors';
import type { GateSettings } from '../gate/settings';

/**
 * `deploy function -f <promoted>` would bypass the migrations: refused with
 * `DEPLOY_REFUSED`. The migrate function itself may be deployed alone.
 *
 * @example
 * refuseGatedFunctionDeploy(options.function, settings); // throws for -f api
 */
export function refuseGatedFunctionDeploy(key: string | undefined, settings: GateSettings): void {
  if (key === undefined || !settings.promote.includes(key)) return;
  throw new DeployRefusedError(
    `\`serverless deploy function -f ${key}\` is refused: it uploads ${key}'s code straight to Lambda, outside the deploy gate, so its migrations would not run first and the code would carry no bundle stamp for \`serverless promote\` to check later.`,
    `Run \`serverless deploy\`: it applies the migrations, then moves ${settings.alias} to the new code. (\`serverless deploy function -f ${settings.migrateFunction}\` is allowed.)`,
    { function: key },
  );
}

/**
 * `rollback --timestamp` redeploys an earlier stack, whose code would serve
 * against today's schema without promote's check: refused with
 * `DEPLOY_REFUSED`. Without a timestamp it only lists deployments.
 *
 * @example
 * refuseStackRollback(options.timestamp, () => settings); // throws when a timestamp is given
 */
export function refuseStackRollback(timestamp: unknown, settings: () => GateSettings): void {
  if (timestamp === undefined) return;
  throw new DeployRefusedError(
    `\`serverless rollback --timestamp ${String(timestamp)}\` is refused: it redeploys an earlier stack, whose code would serve against migrations it may not know, without the check \`serverless promote\` makes. It reverts no migration.`,
    `Run \`serverless promote --to <version>\` to point ${settings().alias} back at an earlier version after checking its migrations against the database (\`--force --reason "<why>"\` if it does not match).`,
    { timestamp: String(timestamp) },
  );
}
