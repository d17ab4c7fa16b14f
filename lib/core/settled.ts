/**
 * A promise's outcome as a value: for work started now and looked at later,
 * whose rejection must not go unhandled meanwhile.
 */

/** What a promise settled to: its value, or its error. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * A promise of `promise`'s outcome that never rejects.
 *
 * @example
 * const outcome = await settle(client.query('select 1'));
 * if (!outcome.ok) throw outcome.error;
 */
export function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value): Settled<T> => ({ ok: true, value }),
    (error: unknown): Settled<T> => ({ ok: false, error }),
  );
}
