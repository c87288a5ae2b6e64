import { describe, expect, it } from 'vitest';
import { buildPlot, downsampleIndices, pointCount } from '../../src/renderer/src/lib/plot.js';
import { emaSmooth } from '../../src/renderer/src/lib/smoothing.js';
import { plotToCsv, plotToSvg } from '../../src/renderer/src/lib/chart-export.js';

const base = { ema: 0, logX: false, logY: false, range: null, budget: 100 } as const;

describe('plotting', () => {
  it('smooths with a bias-corrected EMA and keeps the raw curve faintly behind it', () => {
    expect(emaSmooth([2, 2, 2], 0.9)).toEqual([2, 2, 2].map((v) => expect.closeTo(v, 12)));
    const s = emaSmooth([0, 10, 0, 10], 0.5);
    expect(s[0]).toBe(0);
    expect(s[1]).toBeCloseTo((10 * 0.5) / 0.75, 10);
    const out = buildPlot([{ id: 'a', label: 'loss', x: [0, 1, 2, 3], y: [0, 10, 0, 10] }], { ...base, ema: 0.5 });
    expect(out.map((d) => [d.role, d.opacity, d.inLegend])).toEqual([
      ['raw', 0.25, false],
      ['line', 1, true],
    ]);
    expect(out[0].y).toEqual([0, 10, 0, 10]);
  });

  it('downsamples to the budget keeping the extremes (a spike survives)', () => {
    const y = Array.from({ length: 10_000 }, (_, i) => Math.sin(i / 100));
    y[5_123] = 50;
    const idx = downsampleIndices(y, 200);
    expect(idx.length).toBeLessThanOrEqual(200);
    expect(idx).toContain(5_123);
  });

  it('cuts to the zoom range and drops non-positive values on log axes', () => {
    const out = buildPlot([{ id: 'a', label: 'L', x: [1, 2, 3, 4], y: [1, 0, 3, -1], sparse: true }], {
      ...base,
      logY: true,
      range: [2, 4],
    });
    expect(out[0].x).toEqual([2, 3, 4]);
    expect(out[0].y.map((v) => (Number.isNaN(v) ? null : v))).toEqual([null, 3, null]);
    expect(pointCount(out)).toBe(1);
  });

  it('exports exactly the plotted points as CSV and SVG', () => {
    const out = buildPlot(
      [
        { id: 'a', label: 'loss, "total"', x: [0, 1], y: [1.5, 0.5] },
        { id: 'b', label: 'acc', x: [0, 1], y: [0.1, Number.NaN], band: { lo: [0, 0], hi: [0.2, 0.2] } },
      ],
      base,
    );
    const csv = plotToCsv(out, 'step', 'value').trim().split('\r\n'); // RFC 4180 records (shared/text-escape.ts)
    expect(csv[0]).toBe('series,role,step,value');
    expect(csv).toContain('"loss, ""total""",line,0,1.5');
    expect(csv).toContain('acc,line,1,');
    expect(csv.filter((l) => l.includes('band-'))).toHaveLength(4);
    const svg = plotToSvg(out, {
      width: 200,
      height: 100,
      area: { left: 20, top: 10, right: 190, bottom: 80 },
      xTicks: [
        { value: 0, label: '0' },
        { value: 1, label: '1' },
      ],
      yTicks: [{ value: 0, label: '0' }],
      xToPx: (x) => 20 + x * 170,
      yToPx: (y) => 80 - y * 40,
      title: 'T <1>',
      xLabel: 'step',
      yLabel: 'v',
      colors: { background: '#fff', text: '#000', grid: '#ccc', series: () => '#f00' },
    });
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('<title>T &lt;1&gt;</title>');
    expect(svg).toContain('<polyline points="20,20 190,60"/>');
    expect(svg).toContain('<polygon');
    expect(svg.match(/<polyline/g)).toHaveLength(2);
  });
});
