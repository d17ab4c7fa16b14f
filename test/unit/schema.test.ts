import { ChangeKind, describeDifference, diffSchemas, objectKey, objectsUnder, schemaHash, type SchemaObject } from '../../lib/core/schema';

const table: SchemaObject = { kind: 'table', name: 'public.org', definition: 'table' };
const id: SchemaObject = { kind: 'column', name: 'public.org.id', definition: 'bigint not null' };
const name: SchemaObject = { kind: 'column', name: 'public.org.name', definition: 'text' };
const other: SchemaObject = { kind: 'table', name: 'public.org_type', definition: 'table' };
const otherIndex: SchemaObject = { kind: 'index', name: 'public.org_type.org_type_pkey', definition: 'CREATE UNIQUE INDEX org_type_pkey ON public.org_type USING btree (id)' };

describe('schemaHash', () => {
  it('does not depend on the order of the objects', () => {
    expect(schemaHash([table, id, name])).toBe(schemaHash([name, table, id]));
  });

  it('changes when a definition changes', () => {
    expect(schemaHash([table, id])).not.toBe(schemaHash([table, { ...id, definition: 'integer not null' }]));
  });

  it('is the sha256 of the empty text for no objects', () => {
    expect(schemaHash([])).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describe('diffSchemas', () => {
  it('reports added, removed and changed objects, sorted by kind and name', () => {
    // Prepare
    const expected = [table, id, other];
    const actual = [table, { ...id, definition: 'integer not null' }, name];
    // Act
    const differences = diffSchemas(expected, actual);
    // Assess
    expect(differences).toEqual([
      { kind: 'column', name: 'public.org.id', change: ChangeKind.CHANGED, expected: 'bigint not null', actual: 'integer not null' },
      { kind: 'column', name: 'public.org.name', change: ChangeKind.ADDED, expected: null, actual: 'text' },
      { kind: 'table', name: 'public.org_type', change: ChangeKind.REMOVED, expected: 'table', actual: null },
    ]);
  });

  it('finds nothing between equal sets', () => {
    expect(diffSchemas([table, id], [id, table])).toEqual([]);
  });
});

describe('describeDifference', () => {
  it('says what changed and where the change came from', () => {
    const [added, removed] = [diffSchemas([], [name])[0], diffSchemas([other], [])[0]];
    expect(describeDifference(added!, 'outside migrations')).toBe('column public.org.name added outside migrations (text)');
    expect(describeDifference(removed!, 'outside migrations')).toBe('table public.org_type removed outside migrations (was table)');
    const changed = diffSchemas([id], [{ ...id, definition: 'integer' }])[0]!;
    expect(describeDifference(changed, 'by hand')).toBe('column public.org.id changed by hand: bigint not null → integer');
  });

  it('cuts a long definition', () => {
    const long = { ...name, definition: 'x'.repeat(1000) };
    expect(describeDifference(diffSchemas([], [long])[0]!, 'here').length).toBeLessThan(300);
  });
});

describe('objectsUnder', () => {
  it('takes a table with its columns, but not a table whose name only starts the same', () => {
    const objects = [table, id, name, other, otherIndex];
    expect(objectsUnder(objects, new Set([objectKey(table)]))).toEqual([table, id, name]);
    expect(objectsUnder(objects, new Set([objectKey(other)]))).toEqual([other, otherIndex]);
  });
});
