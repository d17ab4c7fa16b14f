/**
 * Which environment variables serverless.yml gives a function on a stage,
 * read the way the framework resolves them, so that local tools can tell
 * whether a variable they set will reach the handler.
 */

/** The names a function receives, and where serverless.yml declares them. */
export interface FunctionEnvironmentNames {
  names: Set<string>;
  /** Each block the names came from, e.g. `functions.migrate.environment → custom.functionEnvironment.migrate.offline`. */
  sources: string[];
}

interface Scope {
  document: Record<string, unknown>;
  stage: string;
  /** The `self:` paths looked up while resolving one value, for {@link FunctionEnvironmentNames.sources}. */
  trail: string[];
}

// A reference with no other reference inside it: resolved first, as the framework does.
const INNERMOST = /\$\{([^${}]+)\}/;
// References to references deeper than this are a loop in the file.
const MAX_DEPTH = 10;

/**
 * The names of the variables serverless.yml gives `functionName` on `stage`:
 * the keys of `provider.environment` and of `functions.<functionName>.environment`.
 * Either may be written in place or be a reference to a block elsewhere in the
 * file; `${self:…}`, `${param:…}`, `${sls:stage}` and `${opt:stage}` are
 * resolved, with their fallbacks. Only names are read, never values. Throws
 * when a declared environment does not resolve to a block of variables.
 *
 * @example
 * const { names } = functionEnvironmentNames(parse(text), { functionName: 'migrate', stage: 'local' });
 * names.has('DATABASE_URL');
 */
export function functionEnvironmentNames(document: unknown, options: { functionName: string; stage: string }): FunctionEnvironmentNames {
  const root = isBlock(document) ? document : {};
  const functions = isBlock(root.functions) ? root.functions : {};
  const fn = isBlock(functions[options.functionName]) ? (functions[options.functionName] as Record<string, unknown>) : {};
  const provider = isBlock(root.provider) ? root.provider : {};
  const declared: [string, unknown][] = [
    ['provider.environment', provider.environment],
    [`functions.${options.functionName}.environment`, fn.environment],
  ];
  const result: FunctionEnvironmentNames = { names: new Set(), sources: [] };
  for (const [path, value] of declared) {
    if (value === undefined || value === null) continue;
    const scope: Scope = { document: root, stage: options.stage, trail: [] };
    const block = resolveValue(value, scope, 0);
    if (!isBlock(block)) {
      throw new Error(`serverless.yml: ${path} (${JSON.stringify(value)}) does not resolve to a block of variables on stage ${options.stage}.`);
    }
    Object.keys(block).forEach((name) => result.names.add(name));
    result.sources.push([path, ...scope.trail].join(' → '));
  }
  return result;
}

/** A value with every reference in it resolved; undefined when one cannot be. */
function resolveValue(value: unknown, scope: Scope, depth: number): unknown {
  if (typeof value !== 'string' || depth > MAX_DEPTH) return value;
  let text = value;
  for (let match = INNERMOST.exec(text); match !== null; match = INNERMOST.exec(text)) {
    const resolved = resolveVariable(match[1] as string, scope, depth);
    // A value that is one reference takes the referenced value as it is, a block included.
    if (match[0] === text) return resolved;
    if (resolved === undefined || resolved === null || typeof resolved === 'object') return undefined;
    text = text.replace(match[0], String(resolved));
  }
  return text;
}

/** `source[, fallback …]`: the first that resolves. */
function resolveVariable(expression: string, scope: Scope, depth: number): unknown {
  for (const candidate of expression.split(',').map((part) => part.trim())) {
    const literal = /^'(.*)'$|^"(.*)"$/.exec(candidate);
    if (literal) return literal[1] ?? literal[2];
    if (candidate === 'null') return null;
    if (/^-?\d+(\.\d+)?$/.test(candidate)) return Number(candidate);
    const found = lookup(candidate, scope);
    if (found !== undefined) return resolveValue(found, scope, depth + 1);
  }
  return undefined;
}

function lookup(reference: string, scope: Scope): unknown {
  if (reference === 'sls:stage' || reference === 'opt:stage') return scope.stage;
  if (reference.startsWith('param:')) {
    const name = reference.slice('param:'.length);
    const params = isBlock(scope.document.params) ? scope.document.params : {};
    const ofStage = isBlock(params[scope.stage]) ? (params[scope.stage] as Record<string, unknown>) : {};
    const defaults = isBlock(params.default) ? params.default : {};
    return ofStage[name] ?? defaults[name];
  }
  if (reference.startsWith('self:')) {
    const path = reference.slice('self:'.length);
    let node: unknown = scope.document;
    for (const key of path.split('.').filter(Boolean)) node = isBlock(node) ? node[key] : undefined;
    if (isBlock(node)) scope.trail.push(path);
    return node;
  }
  // env:, file(), ssm: and the rest name values this process cannot know.
  return undefined;
}

function isBlock(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
