import { parseEvent } from '../../lib/adapters/lambda/event';
import { EventInvalidError, type EventProblem } from '../../lib/core/errors';

const SHA = 'a'.repeat(64);
const valid = (): Record<string, unknown> => ({
  action: 'migrate',
  bundle: { bucket: 'deploys', key: 'stagegate/bundles/x.json.gz', sha256: SHA },
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
    expect(parsed).toEqual({ action, bundle: { bucket: 'deploys', key: 'stagegate/bundles/x.json.gz', sha256: SHA } });
  });

  it('accepts a drift event with an accepted reason, and refuses accept on other actions or without a reason', () => {
    // Act
    const drift = parseEvent({ ...valid(), action: 'drift', accept: { reason: ' hotfix ' } });
    // Assess
    expect(drift).toEqual({ action: 'drift', bundle: { bucket: 'deploys', key: 'stagegate/bundles/x.json.gz', sha256: SHA }, accept: { reason: 'hotfix' } });
    expect(parseEvent({ ...valid(), action: 'drift' })).not.toHaveProperty('accept');
    expect(problemsOf({ ...valid(), accept: { reason: 'x' } })).toEqual([{ field: 'accept', problem: 'goes only with action "drift"' }]);
    expect(problemsOf({ ...valid(), action: 'drift', accept: { reason: '  ' } })).toEqual([{ field: 'accept.reason', problem: 'must say why the live schema becomes the baseline' }]);
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
      { field: 'action', problem: 'must be one of "plan", "migrate", "status", "drift"' },
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
    ['ab', 'must be 3 to 63 characters long'],
    ['My_Bucket', 'may hold only lowercase letters, digits, dots and hyphens'],
    ['-deploys', 'must begin and end with a letter or digit'],
    ['my..deploys', 'must not contain two adjacent dots'],
    ['192.168.10.4', 'must not look like an IP address'],
    ['xn--deploys', 'uses a prefix or suffix S3 reserves'],
  ])('refuses the bucket name %p: %s', (bucket, problem) => {
    // Act
    const problems = problemsOf({ ...valid(), bundle: { bucket, key: 'k', sha256: SHA } });
    // Assess
    expect(problems).toContainEqual({ field: 'bundle.bucket', problem });
  });

  it('accepts bucket names with dots and digits', () => {
    // Act
    const parsed = parseEvent({ ...valid(), bundle: { bucket: 'acme-deploys.eu-west-1.2026', key: 'k', sha256: SHA } });
    // Assess
    expect(parsed.bundle.bucket).toBe('acme-deploys.eu-west-1.2026');
  });

  it.each(['A'.repeat(64), 'a'.repeat(63), `${'a'.repeat(63)}g`, ` ${'a'.repeat(64)}`])('refuses the sha256 %p', (sha256) => {
    // Act
    const problems = problemsOf({ ...valid(), bundle: { bucket: 'deploys', key: 'k', sha256 } });
    // Assess
    expect(problems).toEqual([{ field: 'bundle.sha256', problem: 'must be exactly 64 lowercase hexadecimal characters (the bundle id)' }]);
  });

  it('refuses a well-formed target clearly, because this version cannot stop at one', () => {
    // Act
    const problems = problemsOf({ ...valid(), target: 'organization/0002_organization_type' });
    // Assess
    expect(problems).toEqual([{ field: 'target', problem: 'target is not supported by this version; leave it out to apply every pending migration' }]);
  });

  it('checks a target as a migration id too', () => {
    // Act
    const problems = problemsOf({ ...valid(), target: 'Organization/2' });
    // Assess
    expect(problems.map((p) => p.problem)).toEqual([
      'target is not supported by this version; leave it out to apply every pending migration',
      'must be a migration id such as organization/0002_organization_type',
    ]);
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
});
