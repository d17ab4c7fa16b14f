import { parseEvent } from '../../lib/adapters/lambda/event';
import { EventInvalidError, type EventProblem } from '../../lib/core/errors';

const SHA = 'a'.repeat(64);
const KEY = `stagegate/bundles/${SHA}.json.gz`;
const valid = (): Record<string, unknown> => ({
  action: 'migrate',
  bundle: { bucket: 'deploys', key: KEY, sha256: SHA },
});

function problemsOf(event: unknown): EventProblem[] {
  try {
    parseEvent(event);
  } catch (error) {
    if (error instanceof EventInvalidError) return [...error.problems];
    throw error;
  }
  throw new Error('expected EVENT_INVALID');
}

describe('Function: parseEvent', () => {
  it.each(['plan', 'migrate', 'status'])('accepts a %s event and returns only what it knows', (action) => {
    // Prepare
    const event = { ...valid(), action };
    // Act
    const parsed = parseEvent(event);
    // Assess
    expect(parsed).toEqual({ action, bundle: { bucket: 'deploys', key: KEY, sha256: SHA } });
  });

  it('accepts a drift event with an accepted reason, and refuses accept on other actions or without a reason', () => {
    // Act
    const drift = parseEvent({ ...valid(), action: 'drift', accept: { reason: ' hotfix ' } });
    // Assess
    expect(drift).toEqual({ action: 'drift', bundle: { bucket: 'deploys', key: KEY, sha256: SHA }, accept: { reason: 'hotfix' } });
    expect(parseEvent({ ...valid(), action: 'drift' })).not.toHaveProperty('accept');
    expect(problemsOf({ ...valid(), accept: { reason: 'x' } })).toEqual([{ field: 'accept', problem: 'goes only with action "drift"' }]);
    expect(problemsOf({ ...valid(), action: 'drift', accept: { reason: '  ' } })).toEqual([{ field: 'accept.reason', problem: 'must say why the live schema becomes the baseline' }]);
  });

  it('passes rehearse: true of a plan event on, and drops rehearse: false', () => {
    // Act
    const rehearsal = parseEvent({ ...valid(), action: 'plan', rehearse: true });
    const plain = parseEvent({ ...valid(), action: 'plan', rehearse: false });
    // Assess
    expect(rehearsal).toEqual({ action: 'plan', bundle: { bucket: 'deploys', key: KEY, sha256: SHA }, rehearse: true });
    expect(plain).not.toHaveProperty('rehearse');
  });

  it.each(['migrate', 'status'])('refuses rehearse with action %s', (action) => {
    // Act
    const problems = problemsOf({ ...valid(), action, rehearse: true });
    // Assess
    expect(problems).toEqual([{ field: 'rehearse', problem: 'goes only with action "plan"' }]);
  });

  it('refuses a rehearse that is not a boolean', () => {
    // Act
    const problems = problemsOf({ ...valid(), action: 'plan', rehearse: 'yes' });
    // Assess
    expect(problems).toEqual([{ field: 'rehearse', problem: 'must be a boolean' }]);
  });

  it('lists every unknown field with its path', () => {
    // Prepare
    const event = { ...valid(), dryRun: true, bundle: { ...(valid().bundle as object), region: 'eu-west-1' } };
    // Act
    const problems = problemsOf(event);
    // Assess
    expect(problems).toEqual([
      { field: 'bundle.region', problem: 'unknown field' },
      { field: 'dryRun', problem: 'unknown field' },
    ]);
  });

  it('names every missing field', () => {
    // Act
    const top = problemsOf({});
    const nested = problemsOf({ action: 'plan', bundle: {} });
    // Assess
    expect(top).toEqual([
      { field: 'action', problem: 'is required' },
      { field: 'bundle', problem: 'is required' },
    ]);
    expect(nested.map((p) => `${p.field}: ${p.problem}`)).toEqual(['bundle.bucket: is required', 'bundle.key: is required', 'bundle.sha256: is required']);
  });

  it('names every field of the wrong type', () => {
    // Act
    const problems = problemsOf({ action: 'drop', bundle: { bucket: 7, key: null, sha256: ['x'] } });
    // Assess
    expect(problems).toEqual([
      { field: 'action', problem: 'must be one of "plan", "migrate", "status", "drift", "resolve", "adopt"' },
      { field: 'bundle.bucket', problem: 'must be a string' },
      { field: 'bundle.key', problem: 'must be a string' },
      { field: 'bundle.sha256', problem: 'must be a string' },
    ]);
  });

  it.each([null, 'migrate', 42, [valid()]])('refuses an event that is not an object (%p)', (event) => {
    // Act
    const problems = problemsOf(event);
    // Assess
    expect(problems).toEqual([{ field: '(event)', problem: 'must be a JSON object' }]);
  });

  it('refuses huge strings with one short problem each, never echoing them', () => {
    // Prepare
    const huge = 'x'.repeat(5_000_000);
    const event = { action: 'migrate', bundle: { bucket: huge, key: huge, sha256: huge }, target: huge };
    // Act
    let error: unknown;
    try {
      parseEvent(event);
    } catch (caught) {
      error = caught;
    }
    // Assess
    const problems = (error as EventInvalidError).problems;
    expect(problems.map((p) => p.field)).toEqual(['bundle.bucket', 'bundle.key', 'bundle.sha256', 'target']);
    expect(JSON.stringify((error as EventInvalidError).toJSON()).length).toBeLessThan(1_500);
  });

  it('counts a key in UTF-8 bytes, as S3 does', () => {
    // Prepare: 600 characters, 1200 bytes
    const event = { ...valid(), bundle: { bucket: 'deploys', key: 'é'.repeat(600), sha256: SHA } };
    // Act
    const problems = problemsOf(event);
    // Assess
    expect(problems).toEqual([{ field: 'bundle.key', problem: "must be at most 1024 bytes (S3's limit)" }]);
  });

  it.each([
    ['another sha256', `stagegate/bundles/${'b'.repeat(64)}.json.gz`],
    ['a name that is no sha256', 'stagegate/bundles/latest.json.gz'],
    ['the sha256 without the bundles folder', `stagegate/${SHA}.json.gz`],
    ['the sha256 inside a longer name', `stagegate/bundles/x${SHA}.json.gz`],
  ])('refuses a key that does not name the bundle by its sha256: %s', (_case, key) => {
    // Act
    const problems = problemsOf({ ...valid(), bundle: { bucket: 'deploys', key, sha256: SHA } });
    // Assess
    expect(problems).toEqual([{ field: 'bundle.key', problem: 'must be <prefix>/bundles/<sha256>.json.gz, with the sha256 of bundle.sha256 (the key publish gives the bundle)' }]);
  });

  it.each([`bundles/${SHA}.json.gz`, `team/svc/stagegate/bundles/${SHA}.json.gz`])('accepts the content-addressed key %p under any prefix', (key) => {
    // Act
    const parsed = parseEvent({ ...valid(), bundle: { bucket: 'deploys', key, sha256: SHA } });
    // Assess
    expect(parsed).toMatchObject({ bundle: { key } });
  });

  it.each([
    ['ab', 'must be 3 to 63 characters long'],
    ['My_Bucket', 'may hold only lowercase letters, digits, dots and hyphens'],
    ['-deploys', 'must begin and end with a letter or digit'],
    ['my..deploys', 'must not contain two adjacent dots'],
    ['192.168.10.4', 'must not look like an IP address'],
    ['xn--deploys', 'uses a prefix or suffix S3 reserves'],
  ])('refuses the bucket name %p: %s', (bucket, problem) => {
    // Act
    const problems = problemsOf({ ...valid(), bundle: { bucket, key: KEY, sha256: SHA } });
    // Assess
    expect(problems).toContainEqual({ field: 'bundle.bucket', problem });
  });

  it('accepts bucket names with dots and digits', () => {
    // Act
    const parsed = parseEvent({ ...valid(), bundle: { bucket: 'acme-deploys.eu-west-1.2026', key: KEY, sha256: SHA } });
    // Assess
    expect(parsed).toMatchObject({ bundle: { bucket: 'acme-deploys.eu-west-1.2026' } });
  });

  it.each(['A'.repeat(64), 'a'.repeat(63), `${'a'.repeat(63)}g`, ` ${'a'.repeat(64)}`])('refuses the sha256 %p', (sha256) => {
    // Act
    const problems = problemsOf({ ...valid(), bundle: { bucket: 'deploys', key: 'k', sha256 } });
    // Assess
    expect(problems).toEqual([{ field: 'bundle.sha256', problem: 'must be exactly 64 lowercase hexadecimal characters (the bundle id)' }]);
  });

  it.each(['organization/0002_organization_type', 'organization/zero', 'zero'])('accepts the target %p for plan and migrate', (target) => {
    // Act
    const plan = parseEvent({ ...valid(), action: 'plan', target });
    const migrate = parseEvent({ ...valid(), target });
    // Assess
    expect(plan).toMatchObject({ action: 'plan', target });
    expect(migrate).toMatchObject({ action: 'migrate', target });
  });

  it('checks a target as a migration id, <app>/zero or zero, and refuses one with status', () => {
    // Act
    const malformed = problemsOf({ ...valid(), target: 'Organization/2' });
    const withStatus = problemsOf({ ...valid(), action: 'status', target: 'zero' });
    // Assess
    expect(malformed).toEqual([{ field: 'target', problem: 'must be a migration id such as organization/0002_organization_type, <app>/zero or zero' }]);
    expect(withStatus).toEqual([{ field: 'target', problem: 'goes with the actions plan and migrate only' }]);
  });

  it('summarises an event with very many problems and cuts long field names', () => {
    // Prepare
    const event: Record<string, unknown> = valid();
    for (let i = 0; i < 100; i += 1) event[`unknown_${i}_${'z'.repeat(200)}`] = i;
    // Act
    const problems = problemsOf(event);
    // Assess
    expect(problems).toHaveLength(20);
    expect(problems[19]).toEqual({ field: '(event)', problem: 'and 81 more problems' });
    expect(Math.max(...problems.map((p) => p.field.length))).toBeLessThanOrEqual(65);
  });

  it('accepts a stage-order override with a reason on migrate only, trimmed and capped', () => {
    // Act
    const parsed = parseEvent({ ...valid(), stageOrderOverride: { reason: '  hotfix INC-123 ' } });
    const onPlan = problemsOf({ ...valid(), action: 'plan', stageOrderOverride: { reason: 'x' } });
    const tooLong = problemsOf({ ...valid(), stageOrderOverride: { reason: 'x'.repeat(501) } });
    const extra = problemsOf({ ...valid(), stageOrderOverride: { reason: 'x', force: true } });
    // Assess
    expect(parsed).toMatchObject({ stageOrderOverride: { reason: 'hotfix INC-123' } });
    expect(onPlan).toEqual([{ field: 'stageOrderOverride', problem: 'goes with action "migrate" only' }]);
    expect(tooLong).toEqual([{ field: 'stageOrderOverride.reason', problem: 'must be at most 500 characters' }]);
    expect(extra).toEqual([{ field: 'stageOrderOverride.force', problem: 'unknown field' }]);
  });

  it.each([
    ['target', { target: 'zero' }, 'goes with the actions plan and migrate only'],
    ['rehearse', { rehearse: true }, 'goes only with action "plan"'],
    ['stageOrderOverride', { stageOrderOverride: { reason: 'x' } }, 'goes with action "migrate" only'],
  ])('refuses %s with action drift', (field, extra, problem) => {
    // Act
    const problems = problemsOf({ ...valid(), action: 'drift', ...extra });
    // Assess
    expect(problems).toEqual([{ field, problem }]);
  });

  it.each(['plan', 'status'])('refuses accept with action %s', (action) => {
    // Act
    const problems = problemsOf({ ...valid(), action, accept: { reason: 'hotfix' } });
    // Assess
    expect(problems).toEqual([{ field: 'accept', problem: 'goes only with action "drift"' }]);
  });

  it('accepts a resolve event without a bundle, the reason trimmed', () => {
    // Act
    const rolledBack = parseEvent({ action: 'resolve', id: 'shop/0004_index', outcome: 'rolled-back', reason: ' dropped the INVALID index ' });
    const applied = parseEvent({ action: 'resolve', id: 'shop/0004_index', outcome: 'applied' });
    // Assess
    expect(rolledBack).toEqual({ action: 'resolve', id: 'shop/0004_index', outcome: 'rolled-back', reason: 'dropped the INVALID index' });
    expect(applied).toEqual({ action: 'resolve', id: 'shop/0004_index', outcome: 'applied' });
  });

  it('refuses a resolve event with EVENT_INVALID, naming every field: a bundle, a bad id or outcome, a blank reason, fields of other actions', () => {
    // Act
    const wrong = problemsOf({ ...valid(), action: 'resolve', id: 'Shop/4', outcome: 'done', reason: '  ', target: 'zero' });
    const missing = problemsOf({ action: 'resolve' });
    const long = problemsOf({ action: 'resolve', id: `a/0001_${'x'.repeat(300)}`, outcome: 'applied', reason: 'x'.repeat(1001) });
    // Assess
    expect(wrong).toEqual([
      { field: 'id', problem: 'must be a migration id such as organization/0002_organization_type (app/NNNN_name)' },
      { field: 'outcome', problem: 'must be one of "applied", "rolled-back"' },
      { field: 'reason', problem: 'must say why (it is kept in the run history), or be left out' },
      { field: 'bundle', problem: 'goes with the other actions: resolve settles a ledger row and reads no bundle' },
      { field: 'target', problem: 'unknown field' },
    ]);
    expect(missing).toEqual([
      { field: 'id', problem: 'is required' },
      { field: 'outcome', problem: 'is required' },
    ]);
    expect(long).toEqual([
      { field: 'id', problem: 'must be at most 200 characters' },
      { field: 'reason', problem: 'must be at most 1000 characters' },
    ]);
    expect(() => parseEvent({ action: 'resolve' })).toThrow(expect.objectContaining({ code: 'EVENT_INVALID' }));
  });

  it('accepts an adopt event with its bundle, and with force the reason trimmed', () => {
    // Act
    const plain = parseEvent({ ...valid(), action: 'adopt', id: 'shop/0003_refunds' });
    const forced = parseEvent({ ...valid(), action: 'adopt', id: 'shop/0003_refunds', force: true, reason: ' made by hand on staging ' });
    // Assess
    expect(plain).toEqual({ action: 'adopt', bundle: { bucket: 'deploys', key: KEY, sha256: SHA }, id: 'shop/0003_refunds' });
    expect(forced).toEqual({ action: 'adopt', bundle: { bucket: 'deploys', key: KEY, sha256: SHA }, id: 'shop/0003_refunds', force: { reason: 'made by hand on staging' } });
  });

  it('refuses an adopt event with EVENT_INVALID, naming every field: the bundle, the id, force without a reason, fields of other actions', () => {
    // Act
    const wrong = problemsOf({ action: 'adopt', bundle: { bucket: 'deploys', key: 'other.json.gz', sha256: SHA }, id: 'Shop/3', force: true, target: 'zero' });
    const missing = problemsOf({ action: 'adopt' });
    const unforced = problemsOf({ ...valid(), action: 'adopt', id: 'shop/0003_refunds', reason: 'no force' });
    const blank = problemsOf({ ...valid(), action: 'adopt', id: 'shop/0003_refunds', force: true, reason: '  ' });
    const long = problemsOf({ ...valid(), action: 'adopt', id: 'shop/0003_refunds', force: true, reason: 'x'.repeat(1001) });
    const forceFalse = problemsOf({ ...valid(), action: 'adopt', id: 'shop/0003_refunds', force: false, reason: 'why' });
    // Assess
    expect(wrong).toEqual([
      { field: 'bundle.key', problem: 'must be <prefix>/bundles/<sha256>.json.gz, with the sha256 of bundle.sha256 (the key publish gives the bundle)' },
      { field: 'id', problem: 'must be a migration id such as organization/0002_organization_type (app/NNNN_name)' },
      { field: 'target', problem: 'unknown field' },
      { field: 'reason', problem: 'is required with force: it is kept in the run history' },
    ]);
    expect(missing).toEqual([
      { field: 'bundle', problem: 'is required' },
      { field: 'id', problem: 'is required' },
    ]);
    expect(unforced).toEqual([{ field: 'reason', problem: 'goes with force' }]);
    expect(blank).toEqual([{ field: 'reason', problem: 'must say why the migration is recorded without its proof (it is kept in the run history)' }]);
    expect(long).toEqual([{ field: 'reason', problem: 'must be at most 1000 characters' }]);
    expect(forceFalse).toEqual([{ field: 'force', problem: 'must be one of true' }]);
  });
});
