import { parse } from 'yaml';
import { functionEnvironmentNames } from '../../lib/local/function-environment';

const local = { functionName: 'migrate', stage: 'local' };

describe('Unit: functionEnvironmentNames (which variables serverless.yml gives a function)', () => {
  it('follows a reference whose path depends on a param of the stage, through YAML aliases', () => {
    // Prepare
    const document = parse(`
params:
  default: { platform: aws }
  local: { platform: offline }
custom:
  functionEnvironment:
    migrate:
      aws: { STAGEGATE_DB_SECRET_ARN: x }
      offline: &offline { DATABASE_URL: '\${env:DATABASE_URL, ''}', STAGEGATE_S3_ENDPOINT: '\${env:STAGEGATE_S3_ENDPOINT, ''http://127.0.0.1:4568''}' }
    api:
      offline: *offline
functions:
  migrate:
    environment: \${self:custom.functionEnvironment.migrate.\${param:platform}}
  api:
    environment: \${self:custom.functionEnvironment.api.\${param:platform}}
`);
    // Act
    const found = functionEnvironmentNames(document, local);
    const api = functionEnvironmentNames(document, { ...local, functionName: 'api' });
    const deployed = functionEnvironmentNames(document, { ...local, stage: 'dev' });
    // Assess
    expect([...found.names]).toEqual(['DATABASE_URL', 'STAGEGATE_S3_ENDPOINT']);
    expect(found.sources).toEqual(['functions.migrate.environment → custom.functionEnvironment.migrate.offline']);
    expect([...api.names]).toEqual(['DATABASE_URL', 'STAGEGATE_S3_ENDPOINT']);
    expect([...deployed.names]).toEqual(['STAGEGATE_DB_SECRET_ARN']);
  });

  it('finds the block wherever the file moves it, with a fallback and the stage in the path', () => {
    // Prepare
    const document = parse(`
custom:
  functionEnvironment:
    local: { DATABASE_URL: '' }
functions:
  migrate:
    environment: \${self:custom.functionEnvironment.\${sls:stage}, null}
`);
    // Act
    const found = functionEnvironmentNames(document, local);
    // Assess
    expect([...found.names]).toEqual(['DATABASE_URL']);
    expect(found.sources).toEqual(['functions.migrate.environment → custom.functionEnvironment.local']);
  });

  it('adds the provider-wide variables to a block written in place', () => {
    // Prepare
    const document = parse(`
provider:
  environment: { STAGEGATE_STAGE: '\${sls:stage}' }
functions:
  migrate:
    environment: { DATABASE_URL: '' }
`);
    // Act
    const found = functionEnvironmentNames(document, local);
    // Assess
    expect([...found.names].sort()).toEqual(['DATABASE_URL', 'STAGEGATE_STAGE']);
    expect(found.sources).toEqual(['provider.environment', 'functions.migrate.environment']);
  });

  it('names the declaration that does not resolve to a block, rather than passing nothing', () => {
    // Prepare
    const document = parse('functions:\n  migrate:\n    environment: ${file(./env.yml)}\n');
    // Act
    const act = (): unknown => functionEnvironmentNames(document, local);
    // Assess
    expect(act).toThrow(/functions\.migrate\.environment .* does not resolve to a block of variables on stage local/);
  });
});
