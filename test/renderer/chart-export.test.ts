import { describe, expect, it } from 'vitest';
import { buildPlot } from '../../src/renderer/src/lib/plot.js';
import { legendWidth, plotToSvg, type SvgFrame } from '../../src/renderer/src/lib/chart-export.js';

const base = { ema: 0, logX: false, logY: false, range: null, budget: 100 } as const;
const frame: SvgFrame = {
  width: 400,
  height: 200,
  area: { left: 40, top: 20, right: 380, bottom: 170 },
  xTicks: [{ value: 0, label: '0' }],
  yTicks: [{ value: 0, label: '0' }],
  xToPx: (x) => 40 + x * 340,
  yToPx: (y) => 170 - y * 150,
  title: 'Loss: run-a',
  xLabel: 'step',
  yLabel: 'loss',
  colors: { background: '#ffffff', text: '#111111', grid: '#dddddd', series: () => '#2f5fd0' },
};

describe('SVG figure', () => {
  it('puts the legend in a column right of the plot area, outside it, and widens the drawing for it', () => {
    const out = buildPlot(
      [
        { id: 'a', label: 'training loss', x: [0, 1], y: [1, 0.2] },
        {
          id: 'r',
          label: 'regulariser (before β)',
          x: [0, 1],
          y: [30, 10],
          axis: 'y2',
          color: '#009e73',
          dashed: true,
        },
      ],
      base,
    );
    const svg = plotToSvg(out, {
      ...frame,
      y2: { ticks: [{ value: 10, label: '10' }], toPx: (y) => 170 - y * 5, label: 'regulariser' },
    });
    const width = 400 + legendWidth(out);
    expect(legendWidth(out)).toBeGreaterThan(150);
    expect(svg).toContain(`width="${width}" height="200" viewBox="0 0 ${width} 200"`);
    const legend = /<g class="legend">([\s\S]*?)<\/g>/.exec(svg)?.[1] ?? '';
    const xs = [...legend.matchAll(/ x1?="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(xs.length).toBe(4);
    for (const x of xs) expect(x).toBeGreaterThan(frame.area.right);
    expect(legend).toContain('regulariser (before β)');
    expect(legend).toContain('stroke="#009e73"');
    // The second-axis series is drawn with its own scale: y 30 -> 20 px, 10 -> 120 px.
    expect(svg).toContain('<polyline points="40,20 380,120"/>');
    expect(svg).toMatch(/<rect width="100%" height="100%" fill="#ffffff"\/>/);
  });
});
