/** Build a model from a run config. */
import type { RunConfig } from '../../../shared/config.js';
import { CifarResNet } from './resnet.js';
import { LipCnn, MnistCnn, type ModelOptions } from './small-cnns.js';
import type { Network } from './network.js';

export { Network } from './network.js';
export type { LayerBoundMap, LipschitzNode } from './network.js';
export { Conv2D, Dense, BatchNorm, type LinearLayer, type Mode, type NamedVariable } from './layers.js';
export type { ModelOptions } from './small-cnns.js';

export function buildModel(arch: RunConfig['model']['arch'], opts: ModelOptions): Network {
  switch (arch) {
    case 'mnist-cnn':
      return new MnistCnn(opts);
    case 'lip-cnn':
      return new LipCnn(opts);
    case 'resnet20':
      return new CifarResNet(20, opts);
    case 'resnet32':
      return new CifarResNet(32, opts);
  }
}
