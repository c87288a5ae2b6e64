/**
 * The report's waterfall of an imported network's Lipschitz bound (static SVG, like svg-chart.ts): one bar per
 * node from ln L before it to ln L after it (L from the network input), so each layer's bar is its share ln σ of
 * ln L = Σ ln σ; a residual Add's bar is ln((L_a + L_b) / L_a). Rising bars (σ > 1) orange, falling ones blue,
 * the same nodes as the Models view's waterfall (nodes that change nothing are left out).
 */
import { waterfallNodes, type ImportedNodeStep } from '../../shared/model-analysis.js';
import { escapeHtml } from './escape.js';
import { niceTicks, PALETTE } from './svg-chart.js';

const PAD = { left: 56, right: 12, top: 28, bottom: 96 };
const UP = PALETTE[1];
const DOWN = PALETTE[0];

const short = (s: string): string => (s.length > 20 ? `${s.slice(0, 19)}…` : s);

export function waterfallSvg(
  nodes: readonly ImportedNodeStep[],
  options: { title: string; width?: number; height?: number },
): string {
  const W = options.width ?? 760;
  const H = options.height ?? 300;
  const steps = waterfallNodes(nodes);
  const ys = steps.flatMap((n) => [n.log_bound_in, n.log_bound_out]).concat([0]);
  const ticks = niceTicks(Math.min(...ys), Math.max(...ys), 5);
  const [lo, hi] = [ticks[0], ticks[ticks.length - 1]];
  const y = (v: number): number => PAD.top + ((hi - v) / (hi - lo || 1)) * (H - PAD.top - PAD.bottom);
  const band = (W - PAD.left - PAD.right) / Math.max(1, steps.length);
  const width = Math.min(band * 0.7, 72);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" font-family="system-ui, sans-serif" font-size="11">`,
    `<title>${escapeHtml(options.title)}</title>`,
    `<text x="${W / 2}" y="16" text-anchor="middle" font-size="13">${escapeHtml(options.title)}</text>`,
  ];
  for (const t of ticks) {
    out.push(
      `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="${t === 0 ? '#666' : '#ddd'}"/>`,
    );
    out.push(`<text x="${PAD.left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${t}</text>`);
  }
  out.push(
    `<text transform="translate(14 ${(PAD.top + H - PAD.bottom) / 2}) rotate(-90)" text-anchor="middle">ln L after the node</text>`,
  );
  steps.forEach((n, j) => {
    const x = PAD.left + j * band + (band - width) / 2;
    const top = y(Math.max(n.log_bound_in, n.log_bound_out));
    const height = Math.max(1, y(Math.min(n.log_bound_in, n.log_bound_out)) - top);
    const share = n.log_bound_out - n.log_bound_in;
    const tip = `${n.name} (${n.op}): Lipschitz ${n.lipschitz.toPrecision(4)}, ln σ ${share.toFixed(3)}; ln L after = ${n.log_bound_out.toFixed(3)}`;
    out.push(
      `<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${width.toFixed(1)}" height="${height.toFixed(1)}" fill="${share >= 0 ? UP : DOWN}"><title>${escapeHtml(tip)}</title></rect>`,
    );
    if (j + 1 < steps.length) {
      const yl = y(n.log_bound_out).toFixed(1);
      out.push(
        `<line x1="${(x + width).toFixed(1)}" x2="${(x + band).toFixed(1)}" y1="${yl}" y2="${yl}" stroke="#999" stroke-dasharray="2 2"/>`,
      );
    }
    const lx = (x + width / 2).toFixed(1);
    const ly = H - PAD.bottom + 12;
    out.push(`<text x="${lx}" y="${ly}" transform="rotate(40 ${lx} ${ly})">${escapeHtml(short(n.name))}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
