import { renderSquash } from '../../lib/cli/squash-render';
import { styleFor } from '../../lib/cli/style';

const plain = styleFor({ isTTY: false }, {});

describe('Function: renderSquash', () => {
  it('says what was written, what it replaces, and the fingerprint it was proven with', () => {
    // Act
    const text = renderSquash(
      {
        path: 'migrations/shop/0003_squashed_0001_0003.sql',
        downPath: null,
        replaced: ['shop/0001_a', 'shop/0002_b', 'shop/0003_c'],
        objects: 7,
        statements: 9,
        dependsOn: ['base/0001_account'],
        fingerprint: 'f'.repeat(64),
        irreversible: true,
        withData: false,
      },
      plain,
    );
    // Assess
    expect(text).toContain('Wrote migrations/shop/0003_squashed_0001_0003.sql\n');
    expect(text).toContain('replaces 3 migration(s): shop/0001_a … shop/0003_c');
    expect(text).toContain('7 object(s), 9 statement(s); depends on base/0001_account');
    expect(text).toContain(`proven equivalent: fingerprint ${'f'.repeat(64)}\n`);
    expect(text).toContain('irreversible');
  });

  it('lists the files prune removed, where it checked, and a forced reason', () => {
    const text = renderSquash({ pruned: true, app: 'shop', paths: ['migrations/shop/0001_a.sql'], squashes: ['shop/0003_squashed_0001_0003'], checked: [], forced: 'rebuilt' }, plain);
    expect(text).toBe('Pruned 1 file(s) replaced by shop/0003_squashed_0001_0003; nothing checked (forced: rebuilt)\n  removed migrations/shop/0001_a.sql\n');
    expect(renderSquash({ pruned: true, app: 'shop', paths: [], squashes: [], checked: ['stage dev'], forced: null }, plain)).toBe('Nothing to prune: no squash of shop has originals left.\n');
  });
});
