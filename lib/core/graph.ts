/**
 * Dependency-graph helpers on plain maps: cycle search and a deterministic
 * topological order. Iterative, so a 10,000-migration chain cannot overflow
 * the stack.
 */

/** Node id → the ids it depends on. */
export type DependencyMap = ReadonlyMap<string, readonly string[]>;

/**
 * Returns one cycle as a closed path (`[a, b, a]`), or null when there is none.
 * Dependencies on ids outside the map are ignored.
 *
 * @example
 * findCycle(new Map([['a', ['b']], ['b', ['a']]])); // ['a', 'b', 'a']
 */
export function findCycle(graph: DependencyMap, order: readonly string[] = [...graph.keys()]): string[] | null {
  const state = new Map<string, 1 | 2>(); // 1 = on the current path, 2 = done
  for (const start of order) {
    if (state.has(start)) continue;
    const path: string[] = [start];
    const cursor: number[] = [0];
    state.set(start, 1);
    while (path.length > 0) {
      const node = path[path.length - 1] as string;
      const deps = graph.get(node) ?? [];
      const index = cursor[cursor.length - 1] as number;
      if (index >= deps.length) {
        state.set(node, 2);
        path.pop();
        cursor.pop();
        continue;
      }
      cursor[cursor.length - 1] = index + 1;
      const next = deps[index] as string;
      if (!graph.has(next)) continue;
      const seen = state.get(next);
      if (seen === 1) return [...path.slice(path.indexOf(next)), next];
      if (seen === undefined) {
        state.set(next, 1);
        path.push(next);
        cursor.push(0);
      }
    }
  }
  return null;
}

/**
 * Kahn's algorithm over `nodes`; among the nodes that are ready, the one with
 * the lowest rank goes first, so the order is stable and follows ids.
 * Dependencies outside `nodes` count as met. Returns the order and the nodes
 * left over (non-empty only when there is a cycle).
 */
export function topologicalOrder(
  nodes: readonly string[],
  graph: DependencyMap,
  rank: ReadonlyMap<string, number>,
): { order: string[]; blocked: string[] } {
  // By position rather than by id: 10,000 pending migrations are the fresh-database case.
  const positionOf = new Map<string, number>();
  nodes.forEach((node, i) => positionOf.set(node, i));
  const waiting = new Int32Array(nodes.length);
  const dependents: number[][] = [];
  const ready = new MinHeap();
  nodes.forEach((node, i) => {
    let count = 0;
    for (const dep of graph.get(node) ?? []) {
      const j = positionOf.get(dep);
      if (j === undefined || dep === node) continue;
      count += 1;
      (dependents[j] ??= []).push(i);
    }
    waiting[i] = count;
    if (count === 0) ready.push(rank.get(node) ?? 0, i);
  });
  const order: string[] = [];
  for (let i = ready.pop(); i !== undefined; i = ready.pop()) {
    order.push(nodes[i] as string);
    for (const dependent of dependents[i] ?? []) {
      waiting[dependent] = (waiting[dependent] as number) - 1;
      if (waiting[dependent] === 0) ready.push(rank.get(nodes[dependent] as string) ?? 0, dependent);
    }
  }
  const blocked = order.length === nodes.length ? [] : nodes.filter((_, i) => (waiting[i] as number) > 0);
  return { order, blocked };
}

/** A binary min-heap of (rank, value) pairs. */
class MinHeap {
  private readonly ranks: number[] = [];
  private readonly values: number[] = [];

  push(rank: number, value: number): void {
    let i = this.ranks.length;
    this.ranks.push(rank);
    this.values.push(value);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((this.ranks[parent] as number) <= rank) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): number | undefined {
    if (this.ranks.length === 0) return undefined;
    const top = this.values[0];
    const lastRank = this.ranks.pop() as number;
    const lastValue = this.values.pop() as number;
    if (this.ranks.length > 0) {
      this.ranks[0] = lastRank;
      this.values[0] = lastValue;
      this.siftDown();
    }
    return top;
  }

  private siftDown(): void {
    const size = this.ranks.length;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < size && (this.ranks[left] as number) < (this.ranks[smallest] as number)) smallest = left;
      if (right < size && (this.ranks[right] as number) < (this.ranks[smallest] as number)) smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }

  private swap(a: number, b: number): void {
    const rank = this.ranks[a] as number;
    this.ranks[a] = this.ranks[b] as number;
    this.ranks[b] = rank;
    const value = this.values[a] as number;
    this.values[a] = this.values[b] as number;
    this.values[b] = value;
  }
}
