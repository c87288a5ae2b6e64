/**
 * Constant folding of the shape arithmetic PyTorch exports for `x.view(x.size(0), -1)`:
 * Shape -> Gather(0) -> Unsqueeze -> Concat(with constants) -> Reshape. Only the batch size is symbolic; it
 * becomes ONNX's 0 ("copy this dimension") in the folded shape, which Reshape then reads as a constant.
 */
import type { onnx } from 'onnx-proto';
import { toNumber, type DecodedTensor } from './onnx-tensors.js';

type Item = 'batch' | number;
type Symbolic = { kind: 'shape' } | { kind: 'list'; items: Item[] };

export class ShapeFolder {
  private readonly symbolic = new Map<string, Symbolic>();

  constructor(private readonly consts: Map<string, DecodedTensor>) {}

  /** Items of a symbolic or constant 1-D tensor, or null. */
  private items(name: string): Item[] | null {
    const s = this.symbolic.get(name);
    if (s?.kind === 'list') return s.items;
    const c = this.consts.get(name);
    return c && c.dims.length <= 1 ? Array.from(c.data) : null;
  }

  /** Folds the node if it is shape arithmetic on the batch size and constants; false otherwise. */
  fold(op: string, attrs: Map<string, onnx.IAttributeProto>, ins: string[], out: string): boolean {
    if (op === 'Shape') {
      this.symbolic.set(out, { kind: 'shape' });
      return true;
    }
    if (op === 'Gather' && this.symbolic.get(ins[0])?.kind === 'shape') {
      const idx = this.consts.get(ins[1]);
      if (!idx || idx.data.length !== 1 || idx.data[0] !== 0) return false; // only the batch size is symbolic
      this.symbolic.set(out, { kind: 'list', items: ['batch'] });
      return true;
    }
    if ((op === 'Unsqueeze' || op === 'Squeeze' || op === 'Cast') && this.symbolic.get(ins[0])?.kind === 'list') {
      this.symbolic.set(out, this.symbolic.get(ins[0]) as Symbolic);
      return true;
    }
    if (op === 'Concat' && ins.some((i) => this.symbolic.has(i))) {
      const parts = ins.map((i) => this.items(i));
      const axis = attrs.get('axis');
      if (parts.some((p) => p === null) || (axis && toNumber(axis.i) !== 0)) return false;
      const items = (parts as Item[][]).flat();
      if (items.indexOf('batch') > 0 || items.filter((x) => x === 'batch').length !== 1) return false;
      this.consts.set(out, { dims: [items.length], data: Float64Array.from(items, (x) => (x === 'batch' ? 0 : x)) });
      return true;
    }
    return false;
  }
}
