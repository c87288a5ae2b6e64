/**
 * Drag-to-zoom on a chart's plot area: the box being dragged (a drag that is nearly flat selects the full height,
 * one nearly upright the full width), then the x and / or y ranges it covers in data units.
 */
import { ref, type Ref } from 'vue';
import type { Chart } from 'chart.js';

/** A drag narrower than this (px) in one direction leaves that axis as it is. */
const MIN_DRAG = 6;

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface DragZoomOptions {
  chart: () => Chart<'line', { x: number; y: number }[]> | null;
  canvas: Ref<HTMLCanvasElement | null>;
  /** A y range (low, high) to zoom to. */
  zoomY: (r: [number, number]) => void;
  /** An x range to zoom to. */
  zoomX: (r: [number, number]) => Promise<void>;
}

export function useDragZoom(opts: DragZoomOptions) {
  const selection = ref<Box | null>(null);
  let dragStart: { x: number; y: number } | null = null;

  function local(e: PointerEvent): { x: number; y: number } {
    const r = (opts.canvas.value as HTMLCanvasElement).getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  function onPointerDown(e: PointerEvent): void {
    const chart = opts.chart();
    if (!chart || e.button !== 0) return;
    const p = local(e);
    const a = chart.chartArea;
    if (p.x < a.left || p.x > a.right || p.y < a.top || p.y > a.bottom) return;
    dragStart = p;
    selection.value = { left: p.x, top: a.top, width: 0, height: a.bottom - a.top };
    (e.target as HTMLElement).setPointerCapture?.(e.pointerId);
  }

  /** Grows the box; false when no drag is under way (the pointer only moves over the plot). */
  function onPointerMove(e: PointerEvent): boolean {
    const chart = opts.chart();
    if (dragStart === null || !chart) return false;
    const a = chart.chartArea;
    const p = local(e);
    const x = Math.min(a.right, Math.max(a.left, p.x));
    const y = Math.min(a.bottom, Math.max(a.top, p.y));
    const w = Math.abs(x - dragStart.x);
    const h = Math.abs(y - dragStart.y);
    selection.value = {
      left: w < MIN_DRAG ? a.left : Math.min(dragStart.x, x),
      width: w < MIN_DRAG ? a.right - a.left : w,
      top: h < MIN_DRAG ? a.top : Math.min(dragStart.y, y),
      height: h < MIN_DRAG ? a.bottom - a.top : h,
    };
    return true;
  }

  async function onPointerUp(): Promise<void> {
    const sel = selection.value;
    dragStart = null;
    selection.value = null;
    const chart = opts.chart();
    if (!chart || !sel) return;
    const a = chart.chartArea;
    if (sel.height >= MIN_DRAG && sel.height < a.bottom - a.top) {
      const ys = chart.scales.y;
      opts.zoomY([ys.getValueForPixel(sel.top + sel.height) as number, ys.getValueForPixel(sel.top) as number]);
    }
    if (sel.width >= MIN_DRAG && sel.width < a.right - a.left) {
      const xs = chart.scales.x;
      await opts.zoomX([xs.getValueForPixel(sel.left) as number, xs.getValueForPixel(sel.left + sel.width) as number]);
    }
  }

  return { selection, onPointerDown, onPointerMove, onPointerUp };
}
