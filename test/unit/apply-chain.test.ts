import { ApplyChain, isNotRun } from '../../lib/adapters/postgres/apply-chain';

describe('Class: ApplyChain', () => {
  it('does not run a migration sent behind the one before it when that one already failed', async () => {
    // Prepare: the first fails before its turn is over, as a refused script does
    const chain = new ApplyChain();
    const first = chain.add('app/0001_a', true, async () => {
      throw new Error('refused');
    });
    await first.catch(() => undefined);
    let ran = false;

    // Act
    const second = chain.add(
      'app/0002_b',
      true,
      async () => {
        ran = true;
      },
      'app/0001_a',
    );

    // Assess
    const error = await second.then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(isNotRun(error)).toBe(true);
    expect(ran).toBe(false);
  });

  it('runs a migration asked for after the one before it failed, when it was not sent behind it', async () => {
    // Prepare: the caller saw the failure, then asks for another migration on the same session
    const chain = new ApplyChain();
    await chain.add('app/0001_a', true, async () => Promise.reject(new Error('failed'))).catch(() => undefined);

    // Act
    const result = await chain.add('app/0002_b', true, async () => 'ran');

    // Assess
    expect(result).toBe('ran');
  });

  it('runs a migration asked for after the one before it committed, on its own', async () => {
    // Prepare
    const chain = new ApplyChain();
    await chain.add('app/0001_a', true, async () => 'done');
    let after: string | null | undefined;

    // Act
    await chain.add('app/0002_b', true, async (previous) => {
      after = previous;
    });

    // Assess
    expect(after).toBeNull();
  });
});
