import { doBlockLineOffset } from '../../lib/core/do-block';

describe('doBlockLineOffset', () => {
  const block = "DO $body$\nDECLARE n int;\nBEGIN\n  RAISE EXCEPTION 'empty';\nEND\n$body$";

  it('finds the line PL/pgSQL names, counted from the line of the opening quote', () => {
    // Act
    const offset = doBlockLineOffset(block, 'PL/pgSQL function inline_code_block line 4 at RAISE');

    // Assess
    expect(block.slice(offset as number).startsWith("  RAISE EXCEPTION 'empty';")).toBe(true);
  });

  it('uses the outermost block frame when a function called from the block failed', () => {
    // Prepare
    const where = 'PL/pgSQL function f() line 9 at RAISE\nPL/pgSQL function inline_code_block line 3 at PERFORM';

    // Act
    const offset = doBlockLineOffset(block, where);

    // Assess
    expect(block.slice(offset as number).startsWith('BEGIN')).toBe(true);
  });

  it.each([
    ['a statement that is no DO block', 'SELECT 1', 'PL/pgSQL function inline_code_block line 1 at RAISE'],
    ['no context', block, undefined],
    ['a line past the block', block, 'PL/pgSQL function inline_code_block line 40 at RAISE'],
  ])('is null for %s', (_name, sql, where) => {
    expect(doBlockLineOffset(sql, where)).toBeNull();
  });

  it('reads DO LANGUAGE plpgsql with a quoted body after comments', () => {
    // Prepare
    const sql = "-- seed\nDO LANGUAGE plpgsql '\nBEGIN\n  PERFORM 1/0;\nEND'";

    // Act
    const offset = doBlockLineOffset(sql, 'PL/pgSQL function inline_code_block line 3 at PERFORM');

    // Assess
    expect(sql.slice(offset as number).startsWith('  PERFORM 1/0;')).toBe(true);
  });
});
