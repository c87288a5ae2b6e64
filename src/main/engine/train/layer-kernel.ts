/** A layer's kernel on the host in HWIO (dense [in, out] as [1, 1, in, out]), the form every bound takes. */
import type { KernelHWIO } from '../../../shared/bounds.js';
import type { LinearLayer } from '../models/index.js';

export function hostKernel(layer: LinearLayer): KernelHWIO {
  const t = layer.kernelHWIO();
  const k: KernelHWIO = { shape: t.shape as KernelHWIO['shape'], data: new Float32Array(t.dataSync()) };
  if (t !== layer.kernel) t.dispose();
  return k;
}
