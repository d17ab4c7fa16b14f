import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MigrationsUncommittedError } from '../../lib/core/errors';
import { prepareBundle } from '../../lib/gate/prepare-bundle';
import { MemoryLogger } from '../support/workspace';

/** A repository with one committed migration, shop/0001_orders; `git` runs in `at` (the repository by default). */
function repository(): { dir: string; git: (args: string[], at?: string) => string; commit: (at?: string) => void; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'stagegate-committed-'));
  const git = (args: string[], at = dir): string => execFileSync('git', ['-c', 'protocol.file.allow=always', ...args], { cwd: at, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const commit = (at = dir): void => {
    git(['add', '.'], at);
    git(['-c', 'user.name=Gate', '-c', 'user.email=gate@example.com', '-c', 'commit.gpgsign=false', 'commit', '--quiet', '-m', 'change'], at);
  };
  git(['init', '--quiet']);
  mkdirSync(join(dir, 'migrations', 'shop'), { recursive: true });
  writeFileSync(join(dir, 'migrations', 'shop', '0001_orders.sql'), 'CREATE TABLE orders (id int);');
  commit();
  return { dir, git, commit, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What the gate does with the repository's migrations folder: the files it refuses, or the number of migrations it bundles. */
async function gate(dir: string): Promise<{ refused: { file: string; state: string }[] } | { bundled: number }> {
  return prepareBundle({ cwd: dir, folder: 'migrations', allowUncommitted: false, onUncommitted: 'refuse' }, new MemoryLogger()).then(
    (prepared) => ({ bundled: prepared.migrations }),
    (error: unknown) => {
      if (!(error instanceof MigrationsUncommittedError)) throw error;
      return { refused: [...error.files] };
    },
  );
}

describe('Function: prepareBundle, files git reports by their folder or never sees', () => {
  it('refuses a migration written into a folder git ignores, naming the file and the ignored folder', async () => {
    // Prepare: migrations/generated/ is ignored; a build step wrote a migration there
    const repo = repository();
    try {
      writeFileSync(join(repo.dir, '.gitignore'), 'migrations/generated/\n');
      repo.commit();
      mkdirSync(join(repo.dir, 'migrations', 'generated'));
      writeFileSync(join(repo.dir, 'migrations', 'generated', '0001_auto.sql'), 'CREATE TABLE made_at_deploy_time (id int);');
      // Act
      const outcome = await gate(repo.dir);
      // Assess
      expect(outcome).toEqual({ refused: [{ file: 'migrations/generated/0001_auto.sql', state: 'ignored by git (migrations/generated/)' }] });
    } finally {
      repo.done();
    }
  });

  it('refuses the files behind a linked app folder that leads out of the work tree, and says so', async () => {
    // Prepare: the link migrations/billing to a folder outside the repository is committed
    const repo = repository();
    const outside = mkdtempSync(join(tmpdir(), 'stagegate-committed-outside-'));
    try {
      writeFileSync(join(outside, '0001_invoices.sql'), 'CREATE TABLE invoices (id int);');
      symlinkSync(outside, join(repo.dir, 'migrations', 'billing'));
      repo.commit();
      // Act
      const outcome = await gate(repo.dir);
      // Assess
      expect(outcome).toEqual({ refused: [{ file: 'migrations/billing/0001_invoices.sql', state: expect.stringContaining('behind the link migrations/billing') }] });
      expect(JSON.stringify(outcome)).toContain('outside this work tree');
    } finally {
      repo.done();
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('takes a link into the same work tree whose files are committed, and refuses one of them once changed', async () => {
    // Prepare: packages/billing/migrations holds committed migrations; migrations/billing links to it
    const repo = repository();
    try {
      mkdirSync(join(repo.dir, 'packages', 'billing', 'migrations'), { recursive: true });
      writeFileSync(join(repo.dir, 'packages', 'billing', 'migrations', '0001_invoices.sql'), 'CREATE TABLE invoices (id int);');
      symlinkSync(join('..', 'packages', 'billing', 'migrations'), join(repo.dir, 'migrations', 'billing'));
      repo.commit();
      // Act
      const clean = await gate(repo.dir);
      writeFileSync(join(repo.dir, 'packages', 'billing', 'migrations', '0001_invoices.sql'), 'CREATE TABLE invoices (id bigint);');
      writeFileSync(join(repo.dir, 'packages', 'billing', 'migrations', '0002_lines.sql'), 'CREATE TABLE lines (id int);');
      const changed = await gate(repo.dir);
      // Assess
      expect(clean).toEqual({ bundled: 2 });
      expect(changed).toEqual({
        refused: [
          { file: 'migrations/billing/0001_invoices.sql', state: expect.stringMatching(/^modified, behind the link migrations\/billing to /) },
          { file: 'migrations/billing/0002_lines.sql', state: expect.stringMatching(/^untracked, behind the link migrations\/billing to /) },
        ],
      });
    } finally {
      repo.done();
    }
  });

  it('takes a link into a submodule at the commit the work tree records, and refuses it at another', async () => {
    // Prepare: a repository of shared migrations, added as a submodule; migrations/shared links into it
    const repo = repository();
    const shared = repository();
    try {
      repo.git(['submodule', '--quiet', 'add', shared.dir, 'vendor/shared']);
      symlinkSync(join('..', 'vendor', 'shared', 'migrations', 'shop'), join(repo.dir, 'migrations', 'shared'));
      repo.commit();
      // Act
      const recorded = await gate(repo.dir);
      const submodule = join(repo.dir, 'vendor', 'shared');
      writeFileSync(join(submodule, 'migrations', 'shop', '0002_lines.sql'), 'CREATE TABLE lines (id int);');
      repo.commit(submodule);
      const moved = await gate(repo.dir);
      // Assess
      expect(recorded).toEqual({ bundled: 2 });
      expect(moved).toEqual({
        refused: [
          { file: 'migrations/shared/0001_orders.sql', state: expect.stringContaining('in the submodule vendor/shared, which is not at the commit') },
          { file: 'migrations/shared/0002_lines.sql', state: expect.stringContaining('in the submodule vendor/shared, which is not at the commit') },
        ],
      });
    } finally {
      repo.done();
      shared.done();
    }
  });
});
