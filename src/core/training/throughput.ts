/** Steps and images a second over a sliding window of recent steps. */
export class ThroughputMeter {
  private readonly times: number[] = [];

  constructor(
    private readonly now: () => number,
    private readonly window = 50,
  ) {}

  /** Call when steps have finished (been read back from the device): `count` of them, now. */
  tick(count = 1): void {
    const now = this.now();
    for (let i = 0; i < count; i++) this.times.push(now);
    while (this.times.length > this.window + 1) this.times.shift();
  }

  reset(): void {
    this.times.length = 0;
  }

  /**
   * Steps a second over the window; 0 until steps have finished at two different times.
   * Steps that finished together with the oldest one count as the window's start, not in it.
   */
  stepsPerSecond(): number {
    const first = this.times[0];
    const elapsed = this.times[this.times.length - 1] - first;
    if (!(elapsed > 0)) return 0;
    return (this.times.filter((time) => time > first).length * 1000) / elapsed;
  }
}
