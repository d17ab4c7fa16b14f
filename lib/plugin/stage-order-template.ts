import { ConfigInvalidError } from '../core/errors';
import { placeInOrder } from '../core/stage-order';
import { GATE_SETTINGS_REMEDY } from '../gate/settings';
import { functionLogicalId, type CompiledTemplate } from './template';

/** What {@link applyStageOrder} needs to know about the stage being packaged. */
export interface StageOrderPackaging {
  /** The migrate function's key under `functions:`. */
  functionKey: string;
  /** The stage being packaged. */
  stage: string;
  /** `custom.stagegate.stages`, in order. */
  stages: readonly string[];
  /** The bucket of bundles and stage records; null when not configured. */
  bucket: string | null;
  prefix: string;
}

/** The Sid of the statement {@link applyStageOrder} adds to the migrate role. */
export const READ_PREVIOUS_SID = 'ReadPreviousStageRecord';

interface RolePolicy {
  PolicyDocument?: { Statement?: Record<string, unknown>[] };
}

/**
 * Gives the packaged migrate function the stage order: the environment
 * variable `STAGEGATE_STAGES`, and on every stage but the first an
 * `s3:GetObject` on the previous stage's records only
 * (`<prefix>/stages/<previous>/*`), added to the function's own role next to
 * its `WriteOwnStageRecords`. Pure: changes `template` in place. Throws
 * `ConfigInvalidError` when the stage is not in the order, or when the
 * bucket or the role cannot be found.
 *
 * @example
 * applyStageOrder(template, { functionKey: 'migrate', stage: 'production', stages: ['dev', 'staging', 'production'], bucket: 'deploys', prefix: 'stagegate' });
 * // MigrateRole may now s3:GetObject arn:…:s3:::deploys/stagegate/stages/staging/*
 */
export function applyStageOrder(template: CompiledTemplate, packaging: StageOrderPackaging): void {
  const place = placeInOrder(packaging.stages, packaging.stage);
  if (!place.inOrder) {
    throw new ConfigInvalidError([
      { key: 'custom.stagegate.stages', problem: `does not name stage "${packaging.stage}" (stages: ${packaging.stages.join(', ')}); add it where it belongs in the order` },
    ], GATE_SETTINGS_REMEDY);
  }
  const fn = template.Resources[functionLogicalId(packaging.functionKey)];
  if (fn?.Type !== 'AWS::Lambda::Function') throw problem(`the template has no function "${packaging.functionKey}"`);
  const properties = (fn.Properties ??= {});
  const environment = (properties.Environment ??= {}) as { Variables?: Record<string, unknown> };
  environment.Variables = { ...environment.Variables, STAGEGATE_STAGES: packaging.stages.join(',') };
  if (place.previousStage === null) return;
  if (packaging.bucket === null) throw new ConfigInvalidError([{ key: 'custom.stagegate.bucket', problem: 'is required with custom.stagegate.stages (the stage records live there)' }], GATE_SETTINGS_REMEDY);
  const statements = roleStatements(template, properties.Role);
  const prefix = packaging.prefix.replace(/^\/+|\/+$/g, '');
  const read = {
    Sid: READ_PREVIOUS_SID,
    Effect: 'Allow',
    Action: 's3:GetObject',
    Resource: { 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${packaging.bucket}/${prefix === '' ? '' : `${prefix}/`}stages/${place.previousStage}/*` },
  };
  const existing = statements.findIndex((s) => s.Sid === READ_PREVIOUS_SID);
  if (existing >= 0) {
    statements[existing] = read;
    return;
  }
  const own = statements.findIndex((s) => s.Sid === 'WriteOwnStageRecords');
  statements.splice(own >= 0 ? own + 1 : statements.length, 0, read);
}

/** The statements of the first inline policy of the role the function runs with. */
function roleStatements(template: CompiledTemplate, role: unknown): Record<string, unknown>[] {
  const getAtt = (role as { 'Fn::GetAtt'?: unknown[] } | undefined)?.['Fn::GetAtt'];
  const roleId = Array.isArray(getAtt) && typeof getAtt[0] === 'string' ? getAtt[0] : role === undefined ? 'IamRoleLambdaExecution' : null;
  const resource = roleId === null ? undefined : template.Resources[roleId];
  const policies = resource?.Type === 'AWS::IAM::Role' ? (resource.Properties?.Policies as RolePolicy[] | undefined) : undefined;
  const document = policies?.[0]?.PolicyDocument;
  if (!document) throw problem('its role is not an AWS::IAM::Role of this template with an inline policy, so the read of the previous stage\'s record cannot be granted');
  document.Statement ??= [];
  return document.Statement;
}

function problem(text: string): ConfigInvalidError {
  return new ConfigInvalidError([{ key: 'custom.stagegate.migrateFunction', problem: text }], GATE_SETTINGS_REMEDY);
}
