import { describe, expect, test } from 'vitest';
import { lineChartSvg, logTicks, niceTicks, tickLabel } from '../../src/main/report/index.js';

describe('ticks', () => {
  test('nice ticks cover the range with 1-2-5 steps', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(3, 97, 5)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0.93, 0.97, 4)).toEqual([0.93, 0.94, 0.95, 0.96, 0.97]);
    const t = niceTicks(5, 5);
    expect(t[0]).toBeLessThan(5);
    expect(t[t.length - 1]).toBeGreaterThan(5);
  });

  test('log ticks are decades (with 2 and 5 over few decades)', () => {
    expect(logTicks(1.2, 35)).toEqual([1, 2, 5, 10, 20, 50, 100]);
    expect(logTicks(1.2, 350)).toEqual([1, 10, 100, 1000]);
    expect(logTicks(0.5, 2e4)).toEqual([0.1, 1, 10, 100, 1000, 10000, 100000]);
    expect(logTicks(-1, 10)).toEqual([]);
  });

  test('tick labels as short as the step allows', () => {
    expect(tickLabel(0.2, 0.2)).toBe('0.2');
    expect(tickLabel(150, 50)).toBe('150');
    expect(tickLabel(0.95, 0.01)).toBe('0.95');
  });
});

describe('lineChartSvg', () => {
  test('a missing value breaks the line instead of bridging it', () => {
    const svg = lineChartSvg({ series: [{ name: 'loss', x: [0, 1, 2, 3, 4], y: [1, 0.5, Number.NaN, 0.3, 0.2] }] });
    const d = /<path d="([^"]+)"/.exec(svg)?.[1] ?? '';
    expect(d.match(/M/g)).toHaveLength(2);
    expect(d.match(/L/g)).toHaveLength(2);
  });

  test('names are escaped; the document is one well-nested svg', () => {
    const svg = lineChartSvg({ title: 'a <b> & "c"', series: [{ name: '<script>x</script>', x: [0, 1], y: [1, 2] }] });
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    // Every opened element is closed (self-closing or paired).
    const opened = (svg.match(/<[a-z]+(?:\s[^>]*)?>/g) ?? []).filter((t) => !t.endsWith('/>')).length;
    const closed = (svg.match(/<\/[a-z]+>/g) ?? []).length;
    expect(opened).toBe(closed);
  });

  test('points map inside the frame, higher values higher up', () => {
    const svg = lineChartSvg({ width: 400, height: 200, series: [{ name: 's', x: [0, 10], y: [0, 1] }] });
    const pts = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(pts).toHaveLength(2);
    expect(pts[1][0]).toBeGreaterThan(pts[0][0]);
    expect(pts[1][1]).toBeLessThan(pts[0][1]);
    for (const [x] of pts) expect(x).toBeGreaterThanOrEqual(64);
  });

  test('log axis leaves out non-positive values; an empty chart says so', () => {
    const svg = lineChartSvg({ logY: true, series: [{ name: 's', x: [0, 1, 2], y: [0, 10, 100] }] });
    expect(svg.match(/<circle/g)).toHaveLength(2);
    expect(lineChartSvg({ series: [] })).toContain('no data recorded');
    expect(lineChartSvg({ series: [{ name: 'n', x: [1], y: [Number.NaN] }] })).toContain('no data recorded');
  });

  test('named x positions label the axis', () => {
    const svg = lineChartSvg({
      series: [{ name: 'f4', x: [0, 1], y: [2, 3] }],
      xTicks: [
        { value: 0, label: 'conv1' },
        { value: 1, label: 'fc' },
      ],
    });
    expect(svg).toContain('>conv1</text>');
    expect(svg).toContain('>fc</text>');
  });
});
