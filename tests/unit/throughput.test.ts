import { describe, expect, it } from 'vitest';
import { ThroughputMeter } from '../../src/core/training/throughput';

function fakeClock(start = 1000) {
  let time = start;
  return { now: () => time, advance: (ms: number) => (time += ms) };
}

describe('ThroughputMeter', () => {
  it('is 0 until two steps are known', () => {
    const clock = fakeClock();
    const meter = new ThroughputMeter(clock.now);
    expect(meter.stepsPerSecond()).toBe(0);
    meter.tick();
    expect(meter.stepsPerSecond()).toBe(0);
    clock.advance(20);
    meter.tick();
    expect(meter.stepsPerSecond()).toBe(50);
  });

  it('a tick every 20 ms is 50 steps a second', () => {
    const clock = fakeClock();
    const meter = new ThroughputMeter(clock.now);
    for (let i = 0; i < 200; i++) {
      meter.tick();
      clock.advance(20);
    }
    expect(meter.stepsPerSecond()).toBeCloseTo(50, 10);
  });

  it('follows a change of pace within its window', () => {
    const clock = fakeClock();
    const meter = new ThroughputMeter(clock.now, 10);
    for (let i = 0; i < 30; i++) {
      meter.tick();
      clock.advance(20);
    }
    // 10 steps at 100 ms each: the window of 10 now holds only the slow steps
    for (let i = 0; i < 10; i++) {
      clock.advance(80);
      meter.tick();
      clock.advance(20);
    }
    expect(meter.stepsPerSecond()).toBeCloseTo(10, 10);
    // halfway through the window the rate is between the two paces: 10 steps over 5*20 + 5*100 ms
    const mixed = new ThroughputMeter(clock.now, 10);
    mixed.tick();
    for (let i = 0; i < 5; i++) {
      clock.advance(20);
      mixed.tick();
    }
    for (let i = 0; i < 5; i++) {
      clock.advance(100);
      mixed.tick();
    }
    expect(mixed.stepsPerSecond()).toBeCloseTo((10 * 1000) / (5 * 20 + 5 * 100), 10);
  });

  it('steps read back together (a flush of 4 every 40 ms) count at their true pace: 100 steps a second', () => {
    const clock = fakeClock();
    const meter = new ThroughputMeter(clock.now, 20);
    for (let flush = 0; flush < 10; flush++) {
      clock.advance(40);
      meter.tick(4);
    }
    expect(meter.stepsPerSecond()).toBeCloseTo(100, 10);
    // two flushes only: the 4 steps of the second took the 40 ms between them
    const early = new ThroughputMeter(clock.now);
    early.tick(4);
    clock.advance(40);
    early.tick(4);
    expect(early.stepsPerSecond()).toBeCloseTo(100, 10);
  });

  it('reset forgets the past; no time elapsed gives 0, not Infinity', () => {
    const clock = fakeClock();
    const meter = new ThroughputMeter(clock.now);
    meter.tick();
    clock.advance(10);
    meter.tick();
    expect(meter.stepsPerSecond()).toBe(100);
    meter.reset();
    expect(meter.stepsPerSecond()).toBe(0);
    meter.tick();
    meter.tick();
    expect(meter.stepsPerSecond()).toBe(0);
  });
});
