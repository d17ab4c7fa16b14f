/**
 * The model's helpers for directives: the shared empty directives of decoded
 * migrations, the test for any directive, and the squashes of a list.
 */
import { hasDirectives, NO_DIRECTIVES, squashesOf, type Directives, type Migration } from '../../lib/core/migration';
import { migration } from '../support/builders';

const none = (): Directives => ({ dependsOn: [], replaces: [], noTransaction: false, irreversible: false, allow: [] });

describe('Function: hasDirectives', () => {
  it('finds no directive in the shared empty directives, nor in a copy of them', () => {
    // Act
    const found = [hasDirectives(NO_DIRECTIVES), hasDirectives(none())];
    // Assess
    expect(found).toEqual([false, false]);
  });

  it.each<[string, Partial<Directives>]>([
    ['depends-on', { dependsOn: ['app/0001_a'] }],
    ['replaces', { replaces: ['app/0001_a'] }],
    ['no-transaction', { noTransaction: true }],
    ['irreversible', { irreversible: true }],
    ['allow', { allow: [{ rule: 'some-rule', reason: 'a reason' }] }],
  ])('finds %s', (_name, directive) => {
    // Act
    const found = hasDirectives({ ...none(), ...directive });
    // Assess
    expect(found).toBe(true);
  });

  it('keeps the shared empty directives from being edited', () => {
    // Act
    const edit = (): void => {
      NO_DIRECTIVES.dependsOn.push('app/0001_a');
    };
    // Assess
    expect(edit).toThrow(TypeError);
    expect(hasDirectives(NO_DIRECTIVES)).toBe(false);
  });
});

describe('Function: squashesOf', () => {
  it('returns the migrations that replace others, in their order', () => {
    // Prepare
    const squash = (id: string, replaces: string[]): Migration => ({ ...migration({ id, sql: 'SELECT 1;' }), directives: { ...none(), replaces } });
    const migrations = [migration({ id: 'app/0001_a', sql: 'SELECT 1;' }), squash('app/0002_squash', ['app/0001_a']), migration({ id: 'app/0003_b', sql: 'SELECT 1;' }), squash('app/0004_squash', ['app/0003_b'])];
    // Act
    const squashes = squashesOf(migrations);
    // Assess
    expect(squashes.map((m) => m.id)).toEqual(['app/0002_squash', 'app/0004_squash']);
  });
});
