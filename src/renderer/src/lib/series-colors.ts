/**
 * Colours that do not repeat within a chart. Up to the theme's palette size a chart keeps the palette
 * (--chart-1..8, tuned for light and dark); beyond it every series gets its own colour: evenly spaced
 * hues in OKLCH (perceptually even, unlike HSL) with alternating lightness, so neighbours in the list
 * (often neighbours in a sweep's grid) differ in lightness as well as hue. Series with a fixed colour
 * (a bound method's, from the registry) keep it. Pure TS.
 */
import type { PlotSeries } from './plot';

/** Lightness steps taken in turn; both read on the light and the dark theme's surface. */
const LIGHTNESS = [0.56, 0.72, 0.64];
const CHROMA = 0.14;

/** sRGB component (0..1, gamma-encoded) of a linear one, clipped to the gamut. */
function encode(v: number): number {
  const c = Math.min(1, Math.max(0, v));
  return c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055;
}

/** OKLCH (L in 0..1, C, hue in degrees) to #rrggbb (Björn Ottosson's OKLab matrices). */
export function oklchToHex(L: number, C: number, hueDeg: number): string {
  const h = (hueDeg * Math.PI) / 180;
  const a = C * Math.cos(h);
  const b = C * Math.sin(h);
  const l = (L + 0.3963377774 * a + 0.2158037573 * b) ** 3;
  const m = (L - 0.1055613458 * a - 0.0638541728 * b) ** 3;
  const s = (L - 0.0894841775 * a - 1.291485548 * b) ** 3;
  const rgb = [
    4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s,
    -1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s,
    -0.0041960863 * l - 0.7034186147 * m + 1.707614701 * s,
  ];
  return `#${rgb
    .map((v) =>
      Math.round(encode(v) * 255)
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}

/**
 * `n` distinct colours as #rrggbb: hue i·360/n (starting at a blue), lightness cycling through LIGHTNESS.
 * Two that round to the same hex (hundreds of colours) are told apart by a small chroma step.
 */
export function distinctColors(n: number): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const hue = 250 + (360 * i) / n;
    const L = LIGHTNESS[i % LIGHTNESS.length];
    let c = oklchToHex(L, CHROMA, hue);
    for (let k = 1; seen.has(c) && k < 50; k++) c = oklchToHex(L, CHROMA + 0.004 * k, hue);
    seen.add(c);
    out.push(c);
  }
  return out;
}

/**
 * The series of one chart with a colour each: unchanged while the palette (`paletteSize` slots) holds
 * them all, otherwise every palette slot in use (series sharing a slot, e.g. a run's line and its dashed
 * PGD curve, share the colour) gets one of distinctColors. Fixed colours are kept.
 */
export function withDistinctColors(series: readonly PlotSeries[], paletteSize: number): readonly PlotSeries[] {
  const slot = (s: PlotSeries, i: number) => s.colorIndex ?? i;
  const slots = [...new Set(series.flatMap((s, i) => (s.color ? [] : [slot(s, i)])))].sort((a, b) => a - b);
  if (slots.length <= paletteSize) return series;
  const colors = distinctColors(slots.length);
  const colorOf = new Map(slots.map((k, j) => [k, colors[j]]));
  return series.map((s, i) => (s.color ? s : { ...s, color: colorOf.get(slot(s, i)) }));
}
