import { ConfigInvalidError, MigrationRunnerError } from '../../lib/core/errors';
import { parseGateSettings } from '../../lib/gate/settings';
import { parseStageOrderOverride } from '../../lib/gate/stage-override';
import { applyStageOrder, READ_PREVIOUS_SID } from '../../lib/plugin/stage-order-template';
import type { CompiledTemplate } from '../../lib/plugin/template';

const OWN = { Sid: 'WriteOwnStageRecords', Effect: 'Allow', Action: 's3:PutObject', Resource: 'own' };
const STAGES = ['dev', 'staging', 'production'];

function template(): CompiledTemplate {
  return {
    Resources: {
      MigrateLambdaFunction: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['MigrateRole', 'Arn'] }, Environment: { Variables: { STAGEGATE_STAGE: 'x' } } } },
      MigrateRole: { Type: 'AWS::IAM::Role', Properties: { Policies: [{ PolicyName: 'migrate', PolicyDocument: { Statement: [{ Sid: 'ReadBundles' }, OWN, { Sid: 'Later' }] } }] } },
    },
  };
}

const statements = (t: CompiledTemplate) =>
  (t.Resources.MigrateRole?.Properties?.Policies as { PolicyDocument: { Statement: Record<string, unknown>[] } }[])[0]?.PolicyDocument.Statement ?? [];
const variables = (t: CompiledTemplate) => (t.Resources.MigrateLambdaFunction?.Properties?.Environment as { Variables: Record<string, string> }).Variables;

describe('Function: applyStageOrder', () => {
  it('grants a later stage a read of the previous stage\'s records only, after its own write', () => {
    // Prepare
    const t = template();
    // Act
    applyStageOrder(t, { functionKey: 'migrate', stage: 'production', stages: STAGES, bucket: 'deploys', prefix: '/stagegate/' });
    applyStageOrder(t, { functionKey: 'migrate', stage: 'production', stages: STAGES, bucket: 'deploys', prefix: 'stagegate' });
    // Assess
    expect(statements(t).map((s) => s.Sid)).toEqual(['ReadBundles', 'WriteOwnStageRecords', READ_PREVIOUS_SID, 'Later']);
    expect(statements(t)[2]).toEqual({ Sid: READ_PREVIOUS_SID, Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::deploys/stagegate/stages/staging/*' } });
    expect(variables(t)).toEqual({ STAGEGATE_STAGE: 'x', STAGEGATE_STAGES: 'dev,staging,production' });
  });

  it('gives the first stage the order but no read of any record', () => {
    // Prepare
    const t = template();
    // Act
    applyStageOrder(t, { functionKey: 'migrate', stage: 'dev', stages: STAGES, bucket: null, prefix: 'stagegate' });
    // Assess
    expect(statements(t).map((s) => s.Sid)).toEqual(['ReadBundles', 'WriteOwnStageRecords', 'Later']);
    expect(variables(t).STAGEGATE_STAGES).toBe('dev,staging,production');
  });

  it('refuses to package a stage the order does not name', () => {
    // Act
    const act = () => applyStageOrder(template(), { functionKey: 'migrate', stage: 'qa', stages: STAGES, bucket: 'deploys', prefix: 'stagegate' });
    // Assess
    expect(act).toThrow(ConfigInvalidError);
    expect(act).toThrow('does not name stage "qa" (stages: dev, staging, production)');
  });
});

describe('Function: parseGateSettings (stages)', () => {
  it('reads the stage order and refuses an odd one', () => {
    // Act
    const settings = parseGateSettings({ stages: STAGES }, ['migrate']);
    const act = (stages: unknown) => () => parseGateSettings({ stages }, ['migrate']);
    // Assess
    expect(settings.stages).toEqual(STAGES);
    expect(act(['dev', 'dev'])).toThrow('names a stage twice');
    expect(act('dev,prod')).toThrow('must be a list of stage names');
    expect(act(['dev,prod'])).toThrow(ConfigInvalidError);
  });

  it('quotes each list item that is not a stage name, and the stage named twice', () => {
    // Act
    const problems = (stages: unknown): unknown => {
      try {
        parseGateSettings({ stages }, ['migrate']);
        return null;
      } catch (error) {
        return (error as ConfigInvalidError).problems;
      }
    };
    // Assess
    expect(problems(['dev', 'Stag ing', 'dev,prod'])).toEqual([
      { key: 'custom.stagegate.stages', problem: '"Stag ing", "dev,prod" are not stage names (letters, digits, - and _, at most 64; one name per list item)' },
    ]);
    expect(problems(['dev', 'staging', 'dev'])).toEqual([{ key: 'custom.stagegate.stages', problem: 'names a stage twice: dev (each stage once, in deploy order)' }]);
  });
});

describe('Function: parseStageOrderOverride', () => {
  const code = (fn: () => unknown): string => {
    try {
      fn();
      return 'no error';
    } catch (error) {
      return error instanceof MigrationRunnerError ? error.code : 'other';
    }
  };

  it('needs a reason with the flag, and the flag with a reason unless another flag owns it', () => {
    // Act / Assess
    expect(parseStageOrderOverride(true, '  hotfix INC-123 ')).toEqual({ reason: 'hotfix INC-123' });
    expect(parseStageOrderOverride(undefined, undefined)).toBeUndefined();
    expect(parseStageOrderOverride(undefined, 'for --force', true)).toBeUndefined();
    expect(code(() => parseStageOrderOverride(true, undefined))).toBe('USAGE');
    expect(code(() => parseStageOrderOverride(true, '   '))).toBe('USAGE');
    expect(code(() => parseStageOrderOverride(undefined, 'why'))).toBe('USAGE');
    expect(code(() => parseStageOrderOverride(true, 'x'.repeat(501)))).toBe('USAGE');
  });
});
