/**
 * The two small networks for MNIST-sized inputs (they accept any [h, w, c]).
 *
 * mnist-cnn: conv3x3(16)-pool-conv3x3(32)-pool-fc128-fc10, a quick baseline.
 * lip-cnn: the "small" certification network of Wong & Kolter 2018 (conv4x4/2 (16), conv4x4/2 (32), fc100,
 *   fc10): no BatchNorm and no pooling, so its Lipschitz bound is just the product of its layers' bounds.
 */
import * as tf from '@tensorflow/tfjs';
import type { Activation } from '../../../shared/config.js';
import { Conv2D, Dense, type Mode } from './layers.js';
import { Network, type LayerBoundMap, type LipschitzNode } from './network.js';
import { maxPool2x2 } from './pooling.js';

export interface ModelOptions {
  inputShape: [number, number, number];
  activation: Activation;
  seed: number;
  /** Outputs of the last layer: the dataset's class count (Dataset.numClasses). */
  numClasses: number;
  normalization?: { mean: number[]; std: number[] };
}

export class MnistCnn extends Network {
  readonly arch = 'mnist-cnn' as const;
  private readonly conv1: Conv2D;
  private readonly conv2: Conv2D;
  private readonly fc1: Dense;
  private readonly fc2: Dense;
  private readonly act: Activation;

  constructor(o: ModelOptions) {
    super(o.inputShape, o.normalization);
    const [h, w, c] = o.inputShape;
    this.act = o.activation;
    this.conv1 = this.addConv(new Conv2D('conv1', [3, 3, c, 16], [h, w], 1, 'same', true, o.seed, 0));
    // 2x2/2 max-pooling halves each side (floor, 'valid').
    const p1: [number, number] = [Math.floor(h / 2), Math.floor(w / 2)];
    this.conv2 = this.addConv(new Conv2D('conv2', [3, 3, 16, 32], p1, 1, 'same', true, o.seed, 1));
    const p2 = [Math.floor(p1[0] / 2), Math.floor(p1[1] / 2)];
    this.fc1 = this.addDense(new Dense('fc1', [p2[0] * p2[1] * 32, 128], o.seed, 2));
    this.fc2 = this.addDense(new Dense('fc2', [128, o.numClasses], o.seed, 3));
  }

  forward(x: tf.Tensor4D, _mode: Mode): tf.Tensor2D {
    let y = this.conv1.apply(this.normalizeInput(x), this.act);
    y = maxPool2x2(y);
    y = this.conv2.apply(y, this.act);
    y = maxPool2x2(y);
    return this.denseHead(y, this.fc1, this.fc2, this.act);
  }

  /** 2x2/2 max-pooling windows do not overlap, so pooling is 1-Lipschitz in l2 and drops out. */
  lipschitzTree(b: LayerBoundMap): LipschitzNode {
    return this.chainTree(['conv1', 'conv2', 'fc1', 'fc2'], b);
  }
}

export class LipCnn extends Network {
  readonly arch = 'lip-cnn' as const;
  override readonly plainFeedForward: boolean;
  private readonly convs: Conv2D[];
  private readonly fc1: Dense;
  private readonly fc2: Dense;
  private readonly act: Activation;

  constructor(o: ModelOptions) {
    super(o.inputShape, o.normalization);
    const [h, w, c] = o.inputShape;
    this.act = o.activation;
    const conv1 = this.addConv(new Conv2D('conv1', [4, 4, c, 16], [h, w], 2, 'same', true, o.seed, 0));
    const conv2 = this.addConv(new Conv2D('conv2', [4, 4, 16, 32], conv1.outputSize, 2, 'same', true, o.seed, 1));
    this.convs = [conv1, conv2];
    const [oh, ow] = conv2.outputSize;
    this.fc1 = this.addDense(new Dense('fc1', [oh * ow * 32, 100], o.seed, 2));
    this.fc2 = this.addDense(new Dense('fc2', [100, o.numClasses], o.seed, 3));
    this.plainFeedForward = !o.normalization;
  }

  forward(x: tf.Tensor4D, _mode: Mode): tf.Tensor2D {
    let y = this.normalizeInput(x);
    for (const conv of this.convs) y = conv.apply(y, this.act);
    return this.denseHead(y, this.fc1, this.fc2, this.act);
  }

  lipschitzTree(b: LayerBoundMap): LipschitzNode {
    return this.chainTree(['conv1', 'conv2', 'fc1', 'fc2'], b);
  }
}
