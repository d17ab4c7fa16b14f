import { buildCatalog } from '../../lib/core/catalog';
import { IrreversibleError } from '../../lib/core/errors';
import type { AppliedMigration, Migration } from '../../lib/core/migration';
import { plan, type PlanStep } from '../../lib/core/plan';
import { planTo } from '../../lib/core/reverse-plan';
import { isTarget, parseTarget } from '../../lib/core/target';
import { thrown } from '../support/failure';

/** Every migration gets a reverse script unless its path is in `withoutDown`. */
function catalog(files: Record<string, string>, withoutDown: string[] = []): Migration[] {
  const entries = Object.entries(files).flatMap(([path, content]) => {
    const up = { path, content };
    return withoutDown.includes(path) ? [up] : [up, { path: path.replace(/\.sql$/, '.down.sql'), content: `-- undo ${path}\nSELECT 1;` }];
  });
  return buildCatalog(entries);
}

function row(m: Migration, overrides: Partial<AppliedMigration> = {}): AppliedMigration {
  return { id: m.id, checksum: m.checksum, state: 'applied', appliedAt: '2026-01-01T00:00:00.000Z', durationMs: 1, bundleId: 'b'.repeat(64), appliedBy: 'test', method: 'executed', ...overrides };
}

const describeSteps = (steps: PlanStep[]): string[] => steps.map((s) => `${s.kind} ${s.migration.id}`);

describe('Function: planTo', () => {
  // org 0001 → 0002 → 0003; member 0001 depends on org 0002, member 0002 on org 0003; billing unrelated.
  const files = {
    'org/0001_initial.sql': 'CREATE TABLE org (id int);',
    'org/0002_type.sql': 'ALTER TABLE org ADD COLUMN type int;',
    'org/0003_name.sql': 'ALTER TABLE org ADD COLUMN name text;',
    'member/0001_initial.sql': '-- stagegate:depends-on org/0002_type\nCREATE TABLE member (id int);',
    'member/0002_name.sql': '-- stagegate:depends-on org/0003_name\nALTER TABLE member ADD COLUMN name text;',
    'billing/0001_initial.sql': 'CREATE TABLE invoice (id int);',
  };
  const all = catalog(files);
  const allApplied = (migrations: Migration[]): AppliedMigration[] => plan(migrations, []).map((s) => row(s.migration));

  it('reverts the target app after the target and every dependent of any app, dependents first', () => {
    // Act
    const steps = planTo(all, allApplied(all), 'org/0001_initial');
    // Assess
    expect(describeSteps(steps)).toEqual(['revert member/0002_name', 'revert org/0003_name', 'revert member/0001_initial', 'revert org/0002_type']);
    expect(steps.map((s) => (s.kind === 'revert' ? s.rows : []))).toEqual([['member/0002_name'], ['org/0003_name'], ['member/0001_initial'], ['org/0002_type']]);
  });

  it('leaves applied migrations of other apps alone when they do not depend on what is reverted', () => {
    // Act
    const steps = planTo(all, allApplied(all), 'org/0002_type');
    // Assess: member/0001 depends on org/0002 (kept); billing is unrelated
    expect(describeSteps(steps)).toEqual(['revert member/0002_name', 'revert org/0003_name']);
  });

  it('reverts an app completely with <app>/zero, and everything with zero', () => {
    // Act
    const member = planTo(all, allApplied(all), 'member/zero');
    const everything = planTo(all, allApplied(all), 'zero');
    // Assess
    expect(describeSteps(member)).toEqual(['revert member/0002_name', 'revert member/0001_initial']);
    expect(new Set(describeSteps(everything).map((s) => s.split(' ')[1]))).toEqual(new Set(all.map((m) => m.id)));
    const position = (id: string): number => everything.findIndex((s) => s.migration.id === id);
    expect(position('member/0001_initial')).toBeLessThan(position('org/0002_type'));
    expect(position('member/0002_name')).toBeLessThan(position('org/0003_name'));
    expect(position('org/0002_type')).toBeLessThan(position('org/0001_initial'));
  });

  it('applies forwards only the target and what it depends on', () => {
    // Act
    const steps = planTo(all, [], 'member/0001_initial');
    // Assess
    expect(describeSteps(steps)).toEqual(['apply org/0001_initial', 'apply org/0002_type', 'apply member/0001_initial']);
  });

  it('returns no steps when the database is already at the target', () => {
    // Prepare
    const ledger = ['org/0001_initial', 'org/0002_type', 'member/0001_initial', 'billing/0001_initial'].map((id) => row(all.find((m) => m.id === id) as Migration));
    // Act and Assess
    expect(planTo(all, ledger, 'member/0001_initial')).toEqual([]);
    expect(planTo(all, [], 'zero')).toEqual([]);
  });

  it('refuses an irreversible migration or a missing reverse script in the way, naming every one, before any step', () => {
    // Prepare
    const marked = catalog({ ...files, 'org/0003_name.sql': '-- stagegate:irreversible\nALTER TABLE org DROP COLUMN type;' }, ['org/0003_name.sql', 'member/0002_name.sql']);
    // Act
    const error = thrown(() => planTo(marked, allApplied(marked), 'org/0001_initial'));
    // Assess
    expect(error).toBeInstanceOf(IrreversibleError);
    expect(error.code).toBe('IRREVERSIBLE');
    expect((error as IrreversibleError).migrations).toEqual([
      { id: 'member/0002_name', file: 'member/0002_name.sql', reason: 'no-reverse-script' },
      { id: 'org/0003_name', file: 'org/0003_name.sql', reason: 'irreversible' },
    ]);
    expect(error.message).toContain('member/0002_name.down.sql');
    // Not in the way: reverting billing needs neither
    expect(describeSteps(planTo(marked, allApplied(marked), 'billing/zero'))).toEqual(['revert billing/0001_initial']);
  });

  it('refuses a target the bundle does not know, and a malformed one', () => {
    // Act and Assess
    expect(thrown(() => planTo(all, [], 'org/0009_gone'))).toMatchObject({ code: 'TARGET_UNKNOWN', message: expect.stringContaining('org/0009_gone') });
    expect(thrown(() => planTo(all, [], 'shop/zero'))).toMatchObject({ code: 'TARGET_UNKNOWN', message: expect.stringContaining('shop') });
    expect(thrown(() => planTo(all, [], 'org/../x'))).toMatchObject({ code: 'TARGET_UNKNOWN' });
  });

  it('keeps the refusals of plan: a changed checksum stops the reverse too', () => {
    // Prepare
    const ledger = allApplied(all).map((r) => (r.id === 'org/0003_name' ? { ...r, checksum: 'v1:edited' } : r));
    // Act and Assess
    expect(thrown(() => planTo(all, ledger, 'org/0001_initial')).code).toBe('CHECKSUM_MISMATCH');
  });

  describe('squashes', () => {
    const squashed = catalog({
      ...files,
      'org/0004_squashed.sql': '-- stagegate:replaces org/0002_type org/0003_name\nALTER TABLE org ADD COLUMN type int, ADD COLUMN name text;',
    });

    it('reverts a squash in effect with its own reverse script and forgets the rows of the originals', () => {
      // Prepare: the originals were applied one by one and the squash recorded
      const ledger = squashed.map((m) => row(m));
      // Act
      const steps = planTo(squashed, ledger, 'org/0001_initial');
      // Assess
      expect(describeSteps(steps)).toEqual(['revert member/0002_name', 'revert member/0001_initial', 'revert org/0004_squashed']);
      const squashStep = steps[2] as Extract<PlanStep, { kind: 'revert' }>;
      expect(squashStep.rows.sort()).toEqual(['org/0002_type', 'org/0003_name', 'org/0004_squashed']);
    });

    it('reverts a squash whose originals ran but were pruned before it was recorded, forgetting their rows', () => {
      // Prepare: the stage ran org/0002 and org/0003 one by one; the bundle now has only the squash (pruned with --force)
      const ledger = squashed.map((m) => row(m)).filter((r) => r.id !== 'org/0004_squashed');
      const pruned = squashed.filter((m) => m.id !== 'org/0002_type' && m.id !== 'org/0003_name');
      // Act
      const steps = planTo(pruned, ledger, 'org/0001_initial');
      // Assess
      expect(describeSteps(steps)).toEqual(['revert member/0002_name', 'revert member/0001_initial', 'revert org/0004_squashed']);
      expect((steps[2] as Extract<PlanStep, { kind: 'revert' }>).rows.sort()).toEqual(['org/0002_type', 'org/0003_name']);
    });

    it('reverts what depends on a pruned original together with the squash that ran on a fresh database', () => {
      // Prepare: the squash ran instead of the originals, which are now gone from the bundle
      const pruned = squashed.filter((m) => m.id !== 'org/0002_type' && m.id !== 'org/0003_name');
      const ledger = pruned.map((m) => row(m));
      // Act
      const steps = planTo(pruned, ledger, 'org/zero');
      // Assess
      expect(describeSteps(steps)).toEqual(['revert member/0002_name', 'revert member/0001_initial', 'revert org/0004_squashed', 'revert org/0001_initial']);
    });

    it('refuses a target inside the range of a squash in effect', () => {
      // Act and Assess
      expect(thrown(() => planTo(squashed, allApplied(squashed), 'org/0002_type'))).toMatchObject({ code: 'TARGET_REPLACED', details: { squash: 'org/0004_squashed' } });
    });
  });
});

describe('Function: parseTarget', () => {
  it('reads the three forms and refuses anything else', () => {
    // Act and Assess
    expect(parseTarget('org/0002_type')).toEqual({ kind: 'migration', id: 'org/0002_type' });
    expect(parseTarget('org/zero')).toEqual({ kind: 'app-zero', app: 'org' });
    expect(parseTarget('zero')).toEqual({ kind: 'zero' });
    expect(['Zero', 'org/0002', 'org/zero/x', ''].map(isTarget)).toEqual([false, false, false, false]);
    expect(() => parseTarget('org/0002')).toThrow(/unknown/);
  });
});
