/**
 * The 17 convolutions of ImageNet ResNet-18 (He et al. 2016, Table 1; 1x1 downsample shortcuts excluded), with
 * the feature-map size each one really sees at 224x224 input: the built-in example of `bounds` and the
 * benchmark's workload.
 */
import type { KernelHWIO, LayerGeometry } from '../../shared/bounds.js';
import { mulberry32 } from '../engine/data/rng.js';

export interface StackLayer {
  name: string;
  shapeHWIO: [number, number, number, number];
  geometry: LayerGeometry;
}

export function resnet18Stack(): StackLayer[] {
  const layers: StackLayer[] = [
    { name: 'conv1', shapeHWIO: [7, 7, 3, 64], geometry: { n: 224, stride: 2, padding: 'same' } },
  ];
  const stages: [number, number, number][] = [
    // [channels, input size of the stage's first conv, stride of the stage's first conv]
    [64, 56, 1],
    [128, 56, 2],
    [256, 28, 2],
    [512, 14, 2],
  ];
  let cin = 64;
  stages.forEach(([c, n0, s0], si) => {
    for (let j = 0; j < 4; j++) {
      const first = j === 0;
      const stride = first ? s0 : 1;
      const n = first ? n0 : n0 / s0;
      layers.push({
        name: `layer${si + 1}.${j >> 1}.conv${(j % 2) + 1}`,
        shapeHWIO: [3, 3, first ? cin : c, c],
        geometry: { n, stride, padding: 'same' },
      });
    }
    cin = c;
  });
  return layers;
}

/** He-normal initialisation (std = sqrt(2 / fan_in)), seeded, as a freshly initialised network has. */
export function heNormalKernel(shape: [number, number, number, number], seed: number): KernelHWIO {
  const [h, w, ci, co] = shape;
  const size = h * w * ci * co;
  const std = Math.sqrt(2 / (h * w * ci));
  const rng = mulberry32(seed);
  const data = new Float32Array(size);
  for (let j = 0; j < size; j += 2) {
    // Box–Muller: two independent normals per pair of uniforms.
    const u1 = Math.max(rng(), 1e-12);
    const u2 = rng();
    const r = Math.sqrt(-2 * Math.log(u1)) * std;
    data[j] = r * Math.cos(2 * Math.PI * u2);
    if (j + 1 < size) data[j + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return { shape, data };
}
