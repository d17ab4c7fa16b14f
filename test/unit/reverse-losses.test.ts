import { reverseLosses } from '../../lib/core/reverse-losses';

describe('Function: reverseLosses', () => {
  it('names the tables, schemas and columns a reverse script drops and the rows it deletes, once each, in file order', () => {
    // Prepare
    const sql = [
      '-- undo 0003',
      'ALTER TABLE public.widget DROP COLUMN colour, DROP IF EXISTS size, DROP CONSTRAINT widget_pk, ALTER COLUMN id DROP DEFAULT;',
      'DELETE FROM org_type WHERE code = 1;',
      'TRUNCATE TABLE audit, "Log";',
      'DROP TABLE IF EXISTS part, widget CASCADE;',
      'DROP SCHEMA billing CASCADE;',
      'DROP TABLE part;',
    ].join('\n');
    // Act
    const losses = reverseLosses(sql);
    // Assess
    expect(losses).toEqual(['column public.widget.colour', 'column public.widget.size', 'rows of org_type', 'rows of audit', 'rows of "Log"', 'table part', 'table widget', 'schema billing']);
  });

  it('finds nothing in a script that only drops what holds no data', () => {
    // Act and Assess
    expect(reverseLosses('DROP INDEX CONCURRENTLY t_idx;\nALTER TABLE t DROP CONSTRAINT t_fk, ALTER COLUMN c DROP NOT NULL;\nDROP VIEW v;\nDROP TYPE mood;')).toEqual([]);
  });
});
