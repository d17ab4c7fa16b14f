/** Raw timings by workload, size and contender, in ms; what the report and the JSON file are made of. */
export class Samples {
  private readonly byKey = new Map<string, number[]>();

  add(workload: string, size: number, contender: string, ms: number): void {
    const key = Samples.key(workload, size, contender);
    const list = this.byKey.get(key);
    if (list) list.push(ms);
    else this.byKey.set(key, [ms]);
  }

  get(workload: string, size: number, contender: string): number[] {
    return this.byKey.get(Samples.key(workload, size, contender)) ?? [];
  }

  toJSON(): { workload: string; size: number; contender: string; ms: number[] }[] {
    return [...this.byKey].map(([key, ms]) => {
      const [workload, size, contender] = key.split('|') as [string, string, string];
      return { workload, size: Number(size), contender, ms: ms.map((v) => Math.round(v * 10) / 10) };
    });
  }

  private static key(workload: string, size: number, contender: string): string {
    return `${workload}|${size}|${contender}`;
  }
}
