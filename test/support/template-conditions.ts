/** Marks a value CloudFormation drops (`{ Ref: AWS::NoValue }`). */
const NO_VALUE = Symbol('AWS::NoValue');

/**
 * A template value as CloudFormation deploys it: each `Fn::If` replaced by
 * the branch its condition picks and `{ Ref: AWS::NoValue }` removed. The
 * conditions must come down to literal values (`Fn::Equals`, `Fn::Not`,
 * `Fn::And`, `Fn::Or`, `Condition`), as they do once Serverless resolved
 * the params; anything else throws. Other intrinsics are left as they are.
 *
 * @example
 * const statements = withConditions(role.Properties.Policies, template.Conditions ?? {});
 */
export function withConditions(value: unknown, conditions: Record<string, unknown>): unknown {
  const resolved = resolve(value, conditions);
  if (resolved === NO_VALUE) throw new Error('the value itself is AWS::NoValue');
  return resolved;
}

function resolve(value: unknown, conditions: Record<string, unknown>): unknown {
  if (Array.isArray(value)) return value.map((item) => resolve(item, conditions)).filter((item) => item !== NO_VALUE);
  if (value === null || typeof value !== 'object') return value;
  const node = value as Record<string, unknown>;
  if (node.Ref === 'AWS::NoValue') return NO_VALUE;
  const branches = node['Fn::If'];
  if (Array.isArray(branches)) {
    const [name, whenTrue, whenFalse] = branches as [string, unknown, unknown];
    return resolve(isTrue({ Condition: name }, conditions) ? whenTrue : whenFalse, conditions);
  }
  const entries = Object.entries(node)
    .map(([key, item]) => [key, resolve(item, conditions)] as const)
    .filter(([, item]) => item !== NO_VALUE);
  return Object.fromEntries(entries);
}

function isTrue(expression: unknown, conditions: Record<string, unknown>): boolean {
  const node = expression as Record<string, unknown[] | string>;
  if (typeof node.Condition === 'string') {
    if (!(node.Condition in conditions)) throw new Error(`no condition named ${node.Condition}`);
    return isTrue(conditions[node.Condition], conditions);
  }
  const [kind, args] = Object.entries(node)[0] ?? [];
  if (kind === 'Fn::Equals' && Array.isArray(args)) {
    if (!args.every((arg) => typeof arg === 'string')) throw new Error(`Fn::Equals of something other than literals: ${JSON.stringify(args)}`);
    return args[0] === args[1];
  }
  if (kind === 'Fn::Not' && Array.isArray(args)) return !isTrue(args[0], conditions);
  if (kind === 'Fn::And' && Array.isArray(args)) return args.every((arg) => isTrue(arg, conditions));
  if (kind === 'Fn::Or' && Array.isArray(args)) return args.some((arg) => isTrue(arg, conditions));
  throw new Error(`unsupported condition: ${JSON.stringify(expression)}`);
}
