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

  /** Steps a second over the window; 0 until two steps are known. */
  stepsPerSecond(): number {
    if (this.times.length < 2) return 0;
    const elapsed = this.times[this.times.length - 1] - this.times[0];
    return elapsed > 0 ? ((this.times.length - 1) * 1000) / elapsed : 0;
  }
}
