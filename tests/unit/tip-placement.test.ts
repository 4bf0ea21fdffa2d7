import { describe, expect, it } from 'vitest';
import { TIP_GAP_PX, TIP_ROOM_PX, tipPlacement } from '../../src/app/components/tip-placement';

/** The tooltip's left and right edges, in shown CSS pixels, for a tooltip `width` wide as placed (styles.css: translate by the gap, or by -100% - gap when flipped). */
function edges(x: number, plotWidth: number, shown: number, width: number): [number, number] {
  const tip = tipPlacement(x, 50, plotWidth, shown);
  const used = Math.min(width, tip.room);
  return tip.flip ? [tip.left - TIP_GAP_PX - used, tip.left - TIP_GAP_PX] : [tip.left + TIP_GAP_PX, tip.left + TIP_GAP_PX + used];
}

describe('a scatter point\'s tooltip', () => {
  it('stays within the plot\'s width wherever the point is, however wide its text, shown at full size or shrunk', () => {
    for (const [plotWidth, shown] of [[400, 1], [400, 0.85], [400, 0.5]]) {
      for (let x = 0; x <= plotWidth; x += 5) {
        for (const width of [40, 150, 240, 400]) {
          const [left, right] = edges(x, plotWidth, shown, width);
          expect(left).toBeGreaterThanOrEqual(0);
          expect(right).toBeLessThanOrEqual(plotWidth * shown);
        }
      }
    }
  });

  it('goes to the side with more room, which is at least half the plot less the gap', () => {
    expect(tipPlacement(100, 50, 400, 1)).toMatchObject({ flip: false, room: 300 - TIP_GAP_PX, left: 100, top: 50 });
    expect(tipPlacement(300, 50, 400, 1)).toMatchObject({ flip: true, room: 300 - TIP_GAP_PX });
    expect(tipPlacement(300, 50, 400, 0.5)).toMatchObject({ flip: true, room: 150 - TIP_GAP_PX, left: 150, top: 25 });
    for (let x = 0; x <= 400; x += 10) expect(tipPlacement(x, 50, 400, 0.8).room).toBeGreaterThanOrEqual(200 * 0.8 - TIP_GAP_PX);
  });

  it('goes under the point near the plot\'s top, where above it would leave the card, and above it elsewhere', () => {
    expect(tipPlacement(100, 0, 400, 1).below).toBe(true);
    expect(tipPlacement(100, TIP_ROOM_PX - 1, 400, 1).below).toBe(true);
    expect(tipPlacement(100, TIP_ROOM_PX, 400, 1).below).toBe(false);
    // shrunk to half, a point 80 frame pixels down is 40 shown pixels down: still too near the top
    expect(tipPlacement(100, 80, 400, 0.5).below).toBe(true);
    expect(tipPlacement(100, 300, 400, 1).below).toBe(false);
  });
});
