import { ApiError, type FieldProblem } from '../../lib/api/errors';
import { listQuerySchema, newOrganizationSchema, organizationPathSchema, parseInput } from '../../lib/api/validation';

function problems(fn: () => unknown): FieldProblem[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ApiError && error.code === 'VALIDATION_FAILED') return [...error.fields];
    throw error;
  }
  throw new Error('expected VALIDATION_FAILED');
}

describe('Function: parseInput with the list query', () => {
  it.each([
    [{}, 50],
    [{ limit: '1' }, 1],
    [{ limit: '100' }, 100],
    [{ limit: '7', other: 'ignored' }, 7],
  ])('reads %j as limit %d', (query, limit) => {
    // Act
    const parsed = parseInput(listQuerySchema, query);
    // Assess
    expect(parsed).toEqual({ limit });
  });

  it.each([['0'], ['101'], ['-1'], ['1.5'], ['ten'], [''], ['1e2'], ['5,6']])('refuses limit=%s', (limit) => {
    // Act
    const found = problems(() => parseInput(listQuerySchema, { limit }));
    // Assess
    expect(found).toEqual([{ field: 'limit', problem: 'must be a whole number from 1 to 100' }]);
  });
});

describe('Function: parseInput with the organization id', () => {
  it('keeps the largest bigint as text', () => {
    // Act
    const parsed = parseInput(organizationPathSchema, { id: '9223372036854775807' });
    // Assess
    expect(parsed).toEqual({ id: '9223372036854775807' });
  });

  it.each([
    ['0', 'must be a positive whole number'],
    ['007', 'must be a positive whole number'],
    ['-3', 'must be a positive whole number'],
    ['abc', 'must be a positive whole number'],
    ['9223372036854775808', 'is larger than any organization id'],
    ['99999999999999999999', 'must be a positive whole number'],
  ])('refuses id %s', (id, problem) => {
    // Act
    const found = problems(() => parseInput(organizationPathSchema, { id }));
    // Assess
    expect(found).toEqual([{ field: 'id', problem }]);
  });
});

describe('Function: parseInput with a new organization', () => {
  it('trims the name and treats a missing or null type as none', () => {
    // Act
    const parsed = [
      parseInput(newOrganizationSchema, { name: '  Acme ' }),
      parseInput(newOrganizationSchema, { name: 'Acme', type: null }),
      parseInput(newOrganizationSchema, { name: 'x'.repeat(200), type: 'company' }),
    ];
    // Assess
    expect(parsed).toEqual([
      { name: 'Acme', type: null },
      { name: 'Acme', type: null },
      { name: 'x'.repeat(200), type: 'company' },
    ]);
  });

  it.each([
    ['missing name', {}, [{ field: 'name', problem: 'is required' }]],
    ['blank name', { name: '   ' }, [{ field: 'name', problem: 'must not be empty' }]],
    ['long name', { name: 'x'.repeat(201) }, [{ field: 'name', problem: 'must be at most 200 characters' }]],
    ['numeric name', { name: 7 }, [{ field: 'name', problem: 'must be a string' }]],
    ['empty type', { name: 'A', type: '' }, [{ field: 'type', problem: 'must not be empty' }]],
    ['unknown fields', { name: 'A', id: '1', createdAt: 'now' }, [{ field: 'id', problem: 'is not a known field' }, { field: 'createdAt', problem: 'is not a known field' }]],
    ['not an object', 'Acme', [{ field: '(body)', problem: 'must be a JSON object' }]],
    ['null', null, [{ field: '(body)', problem: 'must be a JSON object' }]],
  ])('refuses a body with %s, naming each field', (_case, body, expected) => {
    // Act
    const found = problems(() => parseInput(newOrganizationSchema, body));
    // Assess
    expect(found).toEqual(expected);
  });

  it('lists at most 20 problems, summarising the rest, with field names cut short', () => {
    // Prepare
    const body: Record<string, unknown> = { name: 'A', ['k'.repeat(100)]: 1 };
    for (let i = 0; i < 30; i += 1) body[`extra${i}`] = i;
    // Act
    const found = problems(() => parseInput(newOrganizationSchema, body));
    // Assess
    expect(found).toHaveLength(20);
    expect(found[0]?.field).toBe(`${'k'.repeat(64)}…`);
    expect(found[19]).toEqual({ field: '(body)', problem: 'has 12 more problems' });
  });

  it('names every field in the message', () => {
    // Act
    const error = (() => {
      try {
        return parseInput(newOrganizationSchema, { name: '', type: 3 });
      } catch (e) {
        return e as ApiError;
      }
    })() as ApiError;
    // Assess
    expect(error.message).toBe('The request is invalid: name must not be empty; type must be a string.');
    expect(error.status).toBe(400);
  });
});
