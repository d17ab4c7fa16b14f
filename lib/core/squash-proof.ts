import { SquashNotEquivalentError } from './errors';
import { describeDifference, diffSchemas, type SchemaObject } from './schema';

/**
 * The proof of a squash: the objects a fresh database has after the squash
 * (`actual`) must be exactly those it has after the originals (`expected`),
 * definition for definition. Otherwise throws `SquashNotEquivalentError`
 * listing every difference.
 *
 * @example
 * assertEquivalent('org/0002_squashed_0001_0002', fromOriginals, fromSquash);
 */
export function assertEquivalent(squashId: string, expected: readonly SchemaObject[], actual: readonly SchemaObject[]): void {
  const differences = diffSchemas(expected, actual);
  if (differences.length === 0) return;
  throw new SquashNotEquivalentError(squashId, differences.map((d) => describeDifference(d, 'by the squash')), differences);
}
