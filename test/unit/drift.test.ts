import { adoptionPlan } from '../../lib/core/adoption';
import { describeAdoptionDifference, driftLines, listLines, proveAdoption } from '../../lib/core/drift';
import { AdoptRefusedError, DriftDetectedError } from '../../lib/core/errors';
import type { AppliedMigration, Migration } from '../../lib/core/migration';
import type { SchemaDifference, SchemaObject } from '../../lib/core/schema';

const org: SchemaObject = { kind: 'table', name: 'app.org', definition: 'table' };
const orgId: SchemaObject = { kind: 'column', name: 'app.org.id', definition: 'bigint not null' };
const type: SchemaObject = { kind: 'table', name: 'app.org_type', definition: 'table' };
const typeCode: SchemaObject = { kind: 'column', name: 'app.org_type.code', definition: 'bigint' };
const added = (name: string): SchemaDifference => ({ kind: 'column', name, change: 'added', expected: null, actual: 'integer' });

function migration(id: string, dependencies: string[], replaces: string[] = []): Migration {
  return {
    id,
    app: id.split('/')[0] as string,
    number: '0001',
    name: 'x',
    file: `${id}.sql`,
    sql: '',
    downSql: null,
    checksum: 'v1:x',
    directives: { dependsOn: [], replaces, noTransaction: false, irreversible: false, allow: [] },
    dependencies,
  };
}
const row = (id: string, state: AppliedMigration['state'] = 'applied'): AppliedMigration => ({
  id,
  checksum: 'v1:x',
  state,
  appliedAt: '2026-01-01T00:00:00.000Z',
  durationMs: 1,
  bundleId: 'b',
  appliedBy: 't',
  method: 'executed',
});

describe('listLines and driftLines', () => {
  it('lists at most the cap, then says how many more', () => {
    expect(listLines(['a', 'b', 'c'], 2)).toEqual(['  - a', '  - b', '  … and 1 more']);
    expect(listLines(['a'], 2)).toEqual(['  - a']);
  });

  it('says "outside migrations" for each difference', () => {
    expect(driftLines([added('app.org.type_id')])).toEqual(['  - column app.org.type_id added outside migrations (integer)']);
  });
});

describe('DriftDetectedError', () => {
  it('caps the message at 20 differences, keeps every one in details, and names the ledger', () => {
    // Prepare
    const differences = Array.from({ length: 25 }, (_, i) => added(`app.org.c${String(i).padStart(2, '0')}`));
    // Act
    const error = new DriftDetectedError('stagegate', differences, true);
    // Assess
    expect(error.code).toBe('DRIFT_DETECTED');
    expect(error.message).toContain('ledger "stagegate"');
    expect(error.message).toContain('25 objects changed outside migrations');
    expect(error.message).toContain('app.org.c19');
    expect(error.message).not.toContain('app.org.c20');
    expect(error.message).toContain('… and 5 more');
    expect(error.details.differences).toHaveLength(25);
    expect(error.remedy).toContain('Nothing was run.');
  });
});

describe('proveAdoption', () => {
  it('compares only what the migration touched, with everything under a touched table', () => {
    // Prepare: the migration creates org_type; the live database also has a column added by hand elsewhere
    const before = [org, orgId];
    const after = [org, orgId, type, typeCode];
    const live = [org, orgId, { ...orgId, name: 'app.org.by_hand' }, type, typeCode];
    // Act
    const proof = proveAdoption(before, after, live);
    // Assess
    expect(proof.touched).toEqual(['column\tapp.org_type.code', 'table\tapp.org_type']);
    expect(proof.differences).toEqual([]);
    expect(proof.live).toEqual([type, typeCode]);
  });

  it('reports a column of another type, and one added by hand to the adopted table', () => {
    // Act
    const proof = proveAdoption([org], [org, type, typeCode], [org, type, { ...typeCode, definition: 'integer' }, { ...typeCode, name: 'app.org_type.extra' }]);
    // Assess
    expect(proof.differences.map(describeAdoptionDifference)).toEqual([
      'column app.org_type.code: live integer, migration bigint',
      'column app.org_type.extra: on the live database (bigint), the migration does not make it',
    ]);
  });

  it('finds nothing touched for a migration that changes no object', () => {
    expect(proveAdoption([org], [org], [org]).touched).toEqual([]);
  });
});

describe('adoptionPlan', () => {
  const migrations = [migration('app/0001_a', []), migration('app/0002_b', ['app/0001_a']), migration('app/0003_c', ['app/0002_b']), migration('app/0004_s', [], ['app/0001_a'])];

  it('returns the target and its whole history in dependency order', () => {
    const plan = adoptionPlan(migrations, [row('app/0001_a'), row('app/0002_b')], 'app/0003_c');
    expect(plan.target.id).toBe('app/0003_c');
    expect(plan.history.map((m) => m.id)).toEqual(['app/0001_a', 'app/0002_b']);
  });

  it.each([
    ['app/0009_none', [], 'no such migration'],
    ['app/0001_a', [row('app/0001_a')], 'already applied'],
    ['app/0001_a', [row('app/0001_a', 'failed')], 'stagegate resolve app/0001_a'],
    ['app/0004_s', [], 'is a squash of app/0001_a'],
    ['app/0003_c', [row('app/0001_a')], 'not applied: app/0002_b'],
  ] as const)('refuses %s with ledger %j: %s', (id, ledger, text) => {
    let error: unknown;
    try {
      adoptionPlan(migrations, ledger, id);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AdoptRefusedError);
    expect(`${(error as AdoptRefusedError).message} ${(error as AdoptRefusedError).remedy}`).toContain(text);
  });

  it('names for pending dependencies one `migrate --to … --drift warn` per missing migration no other missing one depends on', () => {
    // Prepare: b and x both pending, b needed by c; the target needs c and x
    const graph = [migration('app/0001_a', []), migration('app/0002_b', ['app/0001_a']), migration('app/0003_c', ['app/0002_b']), migration('ops/0001_x', []), migration('app/0004_d', ['app/0003_c', 'ops/0001_x'])];
    // Act
    const refusal = (() => {
      try {
        adoptionPlan(graph, [row('app/0001_a')], 'app/0004_d');
      } catch (error) {
        return error as AdoptRefusedError;
      }
      throw new Error('expected ADOPT_REFUSED');
    })();
    // Assess
    expect(refusal.details.missing).toEqual(['app/0002_b', 'app/0003_c', 'ops/0001_x']);
    expect(refusal.remedy).toContain('Apply those first, and not this one: `stagegate migrate --to app/0003_c --drift warn`, then `stagegate migrate --to ops/0001_x --drift warn`, then adopt this one.');
    expect(refusal.remedy).toContain('accepts no drift');
    expect(refusal.remedy).not.toContain('`stagegate migrate`');
  });
});
