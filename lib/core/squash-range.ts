/**
 * Which migrations a squash replaces, and what it must say about them: the
 * pure half of `stagegate squash`. The range is every migration of one app
 * numbered from `from` to `to`; the squash takes the number of the last one
 * (the catalog's rule) and the cross-app dependencies of the range, so that
 * it still depends on them once the originals are pruned.
 */
import { SquashRefusedError, type SquashProblem } from './errors';
import { compareIds, compareNumbers, type Migration } from './migration';
import { findUnsquashable, StatementConcern } from './squash-statements';

export interface SquashRange {
  app: string;
  /** The first number of the range; the app's first migration when not given. */
  from?: string;
  /** The last number of the range. */
  to: string;
  /** Carry the rows the range leaves in the tables it creates (seed rows), instead of refusing data statements. */
  withData?: boolean;
}

/** A range that may be squashed, with everything the squash file needs. */
export interface SquashSelection {
  app: string;
  /** `<app>/<to>_squashed_<from>_<to>`. */
  squashId: string;
  /** The squash file, relative to the migrations folder. */
  file: string;
  /** The replaced migrations, in id order. */
  range: Migration[];
  /** Dependencies of the range on other apps: the squash's `depends-on`. */
  dependsOn: string[];
  /** Everything the range needs first, outside it, transitively (any order: the engine orders it). */
  prerequisites: Migration[];
}

const NUMBER = /^[0-9]{4,}$/;

/**
 * Picks the range and checks that it can be squashed; every reason it cannot
 * is thrown together as one `SquashRefusedError`: an unknown app or number,
 * a migration that is a squash or already replaced, a `no-transaction`
 * migration, a data statement (unless `withData`) or one the fingerprint
 * cannot prove.
 *
 * @example
 * const selection = selectSquashRange(catalog, { app: 'organization', to: '0002' });
 * selection.squashId; // 'organization/0002_squashed_0001_0002'
 */
export function selectSquashRange(catalog: readonly Migration[], request: SquashRange): SquashSelection {
  const own = catalog.filter((m) => m.app === request.app).sort((a, b) => compareIds(a.id, b.id));
  const range = pickRange(own, request);
  const problems: SquashProblem[] = [];
  for (const m of range) problems.push(...problemsOf(m, catalog, request.withData === true));
  const from = (range[0] as Migration).number;
  const to = (range[range.length - 1] as Migration).number;
  const squashId = `${request.app}/${to}_squashed_${from}_${to}`;
  if (catalog.some((m) => m.id === squashId)) problems.push({ id: squashId, file: `${squashId}.sql`, message: `${squashId} already exists; this range was squashed before` });
  if (problems.length > 0) throw new SquashRefusedError(request.app, problems);
  const inRange = new Set(range.map((m) => m.id));
  const dependsOn = [...new Set(range.flatMap((m) => m.dependencies))].filter((id) => !inRange.has(id) && !id.startsWith(`${request.app}/`)).sort(compareIds);
  return { app: request.app, squashId, file: `${squashId}.sql`, range, dependsOn, prerequisites: prerequisitesOf(range, catalog) };
}

function pickRange(own: Migration[], request: SquashRange): Migration[] {
  const refuse = (message: string): never => {
    throw new SquashRefusedError(request.app, [{ id: null, file: null, message }], 'Check the app and the numbers with `stagegate status`; no file was written.');
  };
  if (own.length === 0) refuse(`there is no app ${request.app} in the migrations folder`);
  for (const [flag, value] of [['--from', request.from], ['--to', request.to]] as const) {
    if (value !== undefined && !NUMBER.test(value)) refuse(`${flag} must be a migration number such as 0003, got "${value.slice(0, 40)}"`);
    if (value !== undefined && !own.some((m) => compareNumbers(m.number, value) === 0)) refuse(`${flag} ${value}: app ${request.app} has no migration with that number`);
  }
  const from = request.from ?? (own[0] as Migration).number;
  if (compareNumbers(from, request.to) > 0) refuse(`--from ${from} comes after --to ${request.to}`);
  return own.filter((m) => compareNumbers(m.number, from) >= 0 && compareNumbers(m.number, request.to) <= 0);
}

function problemsOf(m: Migration, catalog: readonly Migration[], withData: boolean): SquashProblem[] {
  const at = { id: m.id, file: m.file };
  const problems: SquashProblem[] = [];
  if (m.directives.replaces.length > 0) problems.push({ ...at, message: `${m.id} is itself a squash; squash a range after it, or its originals` });
  const squash = catalog.find((other) => other.directives.replaces.includes(m.id));
  if (squash) problems.push({ ...at, message: `${m.id} is already replaced by ${squash.id}` });
  if (m.directives.noTransaction) {
    problems.push({ ...at, message: `${m.id} is no-transaction (stagegate:no-transaction): a squash runs in one transaction, so it cannot include it; end the range before it` });
  }
  for (const finding of findUnsquashable(m.sql)) {
    if (withData && finding.concern === StatementConcern.DATA) continue;
    problems.push({
      ...at,
      line: finding.line,
      message:
        finding.concern === StatementConcern.DATA
          ? `${finding.what}…: a data statement; its effect is rows, which a squash rebuilt from the schema would silently drop (--with-data carries the rows of tables the range creates)`
          : `${finding.what}…: changes something the schema fingerprint does not cover (owners, policies, role membership, table inheritance…), so the squash could not be proven to keep it`,
    });
  }
  return problems;
}

/** The range's dependencies outside it, and theirs, transitively; a dependency on a replaced id brings its squash. */
function prerequisitesOf(range: readonly Migration[], catalog: readonly Migration[]): Migration[] {
  const byId = new Map(catalog.map((m) => [m.id, m]));
  const squashOf = new Map(catalog.flatMap((s) => s.directives.replaces.map((id) => [id, s] as const)));
  const inRange = new Set(range.map((m) => m.id));
  const found = new Map<string, Migration>();
  const queue = range.flatMap((m) => m.dependencies);
  for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
    const m = byId.get(id) ?? squashOf.get(id);
    if (!m || inRange.has(m.id) || found.has(m.id)) continue;
    found.set(m.id, m);
    queue.push(...m.dependencies);
  }
  return [...found.values()].sort((a, b) => compareIds(a.id, b.id));
}
