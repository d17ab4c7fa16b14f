import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigInvalidError, MigrationsUncommittedError } from '../../lib/core/errors';
import { awsClientConfig, frameworkProfile, fromV2Credentials } from '../../lib/gate/aws-config';
import { assertMigrationsCommitted } from '../../lib/gate/git-check';
import { describeStatus, parsePorcelain } from '../../lib/gate/git-status';
import { prepareBundle } from '../../lib/gate/prepare-bundle';
import { parseGateSettings } from '../../lib/gate/settings';
import { bundleIdOfDescription, versionOfQualifiedArn } from '../../lib/gate/version-stamps';
import { MemoryLogger } from '../support/workspace';

describe('Function: parsePorcelain', () => {
  it('reads each entry and its state, skipping the old path of a rename', () => {
    // Prepare
    const output = ['?? migrations/a/0002_x.sql', ' M migrations/a/0001_y.sql', 'R  migrations/a/0003_new.sql', 'migrations/a/0003_old.sql', '!! migrations/a/0004_z.sql', ''].join('\0');
    // Act
    const files = parsePorcelain(output);
    // Assess
    expect(files).toEqual([
      { file: 'migrations/a/0002_x.sql', state: 'untracked' },
      { file: 'migrations/a/0001_y.sql', state: 'modified' },
      { file: 'migrations/a/0003_new.sql', state: 'renamed, not committed' },
      { file: 'migrations/a/0004_z.sql', state: 'ignored by git' },
    ]);
  });

  it('describes staged and unstaged changes together', () => {
    // Act
    const states = ['A ', 'AM', 'MM', ' D', 'UU'].map(describeStatus);
    // Assess
    expect(states).toEqual(['added, not committed', 'added, not committed; modified', 'modified, staged; modified', 'deleted', 'unmerged']);
  });
});

describe('Function: assertMigrationsCommitted', () => {
  it('says so when the folder is not in a git repository', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'stagegate-nogit-'));
    try {
      // Act
      const error = await assertMigrationsCommitted({ cwd: dir, folder: 'migrations' }).catch((caught: unknown) => caught);
      // Assess
      expect(error).toBeInstanceOf(MigrationsUncommittedError);
      expect((error as MigrationsUncommittedError).message).toBe('migrations is not inside a git repository, so stagegate cannot check that its migrations are committed.');
      expect((error as MigrationsUncommittedError).remedy).toContain('--allow-uncommitted');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Function: prepareBundle', () => {
  it('says what git reported when git runs but fails, not that git is missing', async () => {
    // Prepare: a committed migration, then an index git cannot read (as in a broken CI checkout)
    const dir = mkdtempSync(join(tmpdir(), 'stagegate-gitfail-'));
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: dir, encoding: 'utf8' });
    try {
      git('init', '--quiet');
      mkdirSync(join(dir, 'migrations', 'shop'), { recursive: true });
      writeFileSync(join(dir, 'migrations', 'shop', '0001_orders.sql'), 'CREATE TABLE orders (id int);');
      git('add', '.');
      git('-c', 'user.name=Gate', '-c', 'user.email=gate@example.com', '-c', 'commit.gpgsign=false', 'commit', '--quiet', '-m', 'orders');
      writeFileSync(join(dir, '.git', 'index'), 'garbage');
      // Act
      const error = await prepareBundle({ cwd: dir, folder: 'migrations', allowUncommitted: false, onUncommitted: 'refuse' }, new MemoryLogger()).catch((caught: unknown) => caught);
      // Assess
      expect(error).toBeInstanceOf(MigrationsUncommittedError);
      expect((error as MigrationsUncommittedError).message).toContain('index file smaller than expected');
      expect((error as MigrationsUncommittedError).message).not.toContain('could not be run');
      expect((error as MigrationsUncommittedError).remedy).not.toContain('Install git');
      expect((error as MigrationsUncommittedError).remedy).toContain('--allow-uncommitted');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Function: parseGateSettings', () => {
  it('fills the defaults, promoting every function but the migrate function', () => {
    // Act
    const settings = parseGateSettings({ bucket: 'deploys' }, ['migrate', 'api', 'worker']);
    // Assess
    expect(settings).toEqual({ migrations: 'migrations', bucket: 'deploys', prefix: 'stagegate', migrateFunction: 'migrate', promote: ['api', 'worker'], alias: 'live', maxInvocations: 20, rehearse: false, stages: null });
  });

  it('reports every problem at once', () => {
    // Act
    let error: unknown;
    try {
      parseGateSettings({ bucket: 'Not A Bucket', alias: '12', migrateFunction: 'apply', promote: 'api', maxInvocations: 1.5, rehearse: 'yes' }, ['migrate', 'api']);
    } catch (caught) {
      error = caught;
    }
    // Assess
    expect(error).toBeInstanceOf(ConfigInvalidError);
    expect((error as ConfigInvalidError).problems.map((p) => p.key)).toEqual([
      'custom.stagegate.bucket',
      'custom.stagegate.alias',
      'custom.stagegate.migrateFunction',
      'custom.stagegate.promote',
      'custom.stagegate.maxInvocations',
      'custom.stagegate.rehearse',
    ]);
  });
});

describe('Function: parseGateSettings (keys and types)', () => {
  it.each([
    ['a misspelt key (v3 only warns about it)', { bucket: 'deploys', rehears: true }, 'custom.stagegate.rehears'],
    ['maxInvocations given as true', { bucket: 'deploys', maxInvocations: true }, 'custom.stagegate.maxInvocations'],
    ['maxInvocations given as a list', { bucket: 'deploys', maxInvocations: [5] }, 'custom.stagegate.maxInvocations'],
    ['an empty migrations folder name', { bucket: 'deploys', migrations: '' }, 'custom.stagegate.migrations'],
  ])('refuses %s, naming the key', (_what, raw, key) => {
    // Act
    const error = (() => {
      try {
        parseGateSettings(raw, ['migrate', 'api']);
        return null;
      } catch (caught) {
        return caught;
      }
    })();
    // Assess
    expect(error).toBeInstanceOf(ConfigInvalidError);
    expect((error as ConfigInvalidError).problems.map((p) => p.key)).toEqual([key]);
  });
});

describe('Function: awsClientConfig', () => {
  it('takes getAwsSdkV3Config when the framework has it (v4, osls)', async () => {
    // Prepare
    const credentials = { accessKeyId: 'AKIDV4', secretAccessKey: 'secret' };
    // Act
    const config = await awsClientConfig({ getAwsSdkV3Config: async () => ({ region: 'eu-west-1', credentials }), getRegion: () => 'us-east-1' });
    // Assess
    expect(config).toEqual({ region: 'eu-west-1', credentials });
  });

  it('adapts v3\'s v2-style credentials, refreshing them on each call', async () => {
    // Prepare
    let refreshed = 0;
    const v2 = {
      accessKeyId: 'AKIDV3',
      secretAccessKey: 'secret',
      sessionToken: 'token',
      expireTime: new Date('2030-01-01T00:00:00Z'),
      getPromise: async () => void (refreshed += 1),
    };
    // Act
    const config = await awsClientConfig({ getRegion: () => 'eu-central-1', getCredentials: () => ({ credentials: v2 }) });
    const identity = await (config.credentials as () => Promise<unknown>)();
    // Assess
    expect(config.region).toBe('eu-central-1');
    expect(identity).toEqual({ accessKeyId: 'AKIDV3', secretAccessKey: 'secret', sessionToken: 'token', expiration: new Date('2030-01-01T00:00:00Z') });
    expect(refreshed).toBe(1);
  });

  it('leaves credentials to the SDK\'s default chain when v3 resolved none', async () => {
    // Act
    const config = await awsClientConfig({ getRegion: () => 'us-east-1', getCredentials: () => ({}) });
    // Assess
    expect(config).toEqual({ region: 'us-east-1' });
  });

  it('names the profile v3 would use for the default chain when v3 resolved no credentials (an SSO-only profile)', async () => {
    // Prepare: v3 refuses a profile its SDK v2 cannot read, or finds nothing
    const unreadable = Object.assign(new Error('AWS profile "deploy-sso" doesn\'t seem to be configured'), { code: 'UNRECOGNIZED_AWS_PROFILE' });
    const refusing = { getRegion: () => 'eu-west-1', getProfile: () => 'deploy-sso', getCredentials: () => { throw unreadable; } };
    const empty = { getRegion: () => 'eu-west-1', getProfile: () => 'deploy-sso', getCredentials: () => ({}) };
    // Act
    const configs = [await awsClientConfig(refusing, {}), await awsClientConfig(empty, {})];
    // Assess
    expect(configs).toEqual([
      { region: 'eu-west-1', profile: 'deploy-sso' },
      { region: 'eu-west-1', profile: 'deploy-sso' },
    ]);
  });

  it('keeps other failures of v3, and v2 credentials over any profile', async () => {
    // Prepare
    const broken = { getRegion: () => 'eu-west-1', getProfile: () => 'p', getCredentials: () => { throw new Error('MFA code refused'); } };
    const resolved = { getRegion: () => 'eu-west-1', getProfile: () => 'p', getCredentials: () => ({ credentials: { accessKeyId: 'AKID', secretAccessKey: 's' } }) };
    // Act
    const attempt = awsClientConfig(broken, {});
    const config = await awsClientConfig(resolved, { AWS_PROFILE: 'other' });
    // Assess
    await expect(attempt).rejects.toThrow('MFA code refused');
    expect(config.profile).toBeUndefined();
    expect(typeof config.credentials).toBe('function');
  });

  it.each([
    ['--aws-profile first', { 'aws-profile': 'cli' }, 'config', { AWS_PROD_PROFILE: 'stage', AWS_PROFILE: 'env', AWS_DEFAULT_PROFILE: 'default-env' }, 'cli'],
    ['then AWS_<STAGE>_PROFILE', {}, 'config', { AWS_PROD_PROFILE: 'stage', AWS_PROFILE: 'env' }, 'stage'],
    ['then AWS_PROFILE', {}, 'config', { AWS_DEV_PROFILE: 'other-stage', AWS_PROFILE: 'env' }, 'env'],
    ['then provider.profile', {}, 'config', { AWS_DEFAULT_PROFILE: 'default-env' }, 'config'],
    ['then AWS_DEFAULT_PROFILE', {}, null, { AWS_DEFAULT_PROFILE: 'default-env', AWS_PROFILE: '' }, 'default-env'],
    ['none: the SDK default', {}, null, {}, undefined],
  ])('frameworkProfile picks as Serverless v3 does: %s', (_name, options, configured, env, expected) => {
    // Act
    const profile = frameworkProfile({ getRegion: () => 'eu-west-1', getStage: () => 'prod', getProfile: () => configured, options }, env);
    // Assess
    expect(profile).toBe(expected);
  });

  it('fails clearly when the v2 credentials hold no key', async () => {
    // Act
    const attempt = (fromV2Credentials({}) as () => Promise<unknown>)();
    // Assess
    await expect(attempt).rejects.toThrow('hold no access key');
  });
});

describe('Functions: version stamps', () => {
  it('reads the version of a qualified ARN and the bundle of a description', () => {
    // Prepare
    const id = 'ab'.repeat(32);
    // Act & Assess
    expect(versionOfQualifiedArn('arn:aws:lambda:eu-west-1:123456789012:function:svc-prod-api:13')).toBe('13');
    expect(versionOfQualifiedArn('arn:aws:lambda:eu-west-1:123456789012:function:svc-prod-api')).toBeNull();
    expect(bundleIdOfDescription(`The organizations HTTP API (stagegate bundle ${id})`)).toBe(id);
    expect(bundleIdOfDescription('The organizations HTTP API')).toBeNull();
  });
});
