/**
 * CIFAR ResNets of He et al. 2016 (Section 4.2), as the paper trains them (Singla & Feizi 2021, Section 5):
 * 6n+2 layers, 3 stages of n basic blocks with 16/32/64 channels, BatchNorm, global average pooling and one
 * dense layer; n = 3 gives ResNet-20, n = 5 ResNet-32. Option-A shortcuts: stride-2 subsampling plus zero
 * channel padding, parameter free.
 */
import * as tf from '@tensorflow/tfjs';
import type { Activation } from '../../../shared/config.js';
import { activate, BatchNorm, Conv2D, Dense, type Mode } from './layers.js';
import { Network, type LayerBoundMap, type LipschitzNode } from './network.js';
import type { ModelOptions } from './small-cnns.js';

interface Block {
  convA: Conv2D;
  bnA: BatchNorm;
  convB: Conv2D;
  bnB: BatchNorm;
  /** Option-A projection as a fixed 1x1 stride-2 conv with a shifted identity kernel, or null (identity). */
  shortcut: tf.Tensor4D | null;
}

/**
 * x[:, ::2, ::2, :] zero-padded from c to 2c channels (c/2 each side) equals a 1x1 stride-2 convolution whose
 * kernel maps channel i to i + c/2: one op with a ready gradient on every backend, and exactly 1-Lipschitz.
 */
function optionAKernel(cin: number, cout: number): tf.Tensor4D {
  const data = new Float32Array(cin * cout);
  const offset = Math.floor((cout - cin) / 2);
  for (let i = 0; i < cin; i++) data[i * cout + i + offset] = 1;
  return tf.tensor4d(data, [1, 1, cin, cout]);
}

export class CifarResNet extends Network {
  readonly arch: 'resnet20' | 'resnet32';
  private readonly stem: Conv2D;
  private readonly stemBn: BatchNorm;
  private readonly blocks: Block[] = [];
  private readonly fc: Dense;
  private readonly act: Activation;
  private readonly poolSize: [number, number];

  constructor(depth: 20 | 32, o: ModelOptions) {
    super(o.inputShape, o.normalization);
    this.arch = depth === 20 ? 'resnet20' : 'resnet32';
    this.act = o.activation;
    const n = (depth - 2) / 6;
    const [h, w, c] = o.inputShape;
    let stream = 0;
    this.stem = this.addConv(new Conv2D('conv1', [3, 3, c, 16], [h, w], 1, 'same', false, o.seed, stream++));
    this.stemBn = this.addBatchNorm(new BatchNorm('bn1', 16), [h, w, 16]);
    let size: [number, number] = [h, w];
    let channels = 16;
    for (let stage = 0; stage < 3; stage++) {
      const width = 16 * 2 ** stage;
      for (let i = 0; i < n; i++) {
        const stride = stage > 0 && i === 0 ? 2 : 1;
        const prefix = `layer${stage + 1}.${i}`;
        const convA = this.addConv(
          new Conv2D(`${prefix}.conv1`, [3, 3, channels, width], size, stride, 'same', false, o.seed, stream++),
        );
        const bnA = this.addBatchNorm(new BatchNorm(`${prefix}.bn1`, width), [...convA.outputSize, width]);
        const convB = this.addConv(
          new Conv2D(`${prefix}.conv2`, [3, 3, width, width], convA.outputSize, 1, 'same', false, o.seed, stream++),
        );
        const bnB = this.addBatchNorm(new BatchNorm(`${prefix}.bn2`, width), [...convB.outputSize, width]);
        let shortcut: tf.Tensor4D | null = null;
        if (stride !== 1 || channels !== width) {
          shortcut = optionAKernel(channels, width);
          this.constants.push(shortcut);
        }
        this.blocks.push({ convA, bnA, convB, bnB, shortcut });
        size = convA.outputSize;
        channels = width;
      }
    }
    this.poolSize = size;
    this.fc = this.addDense(new Dense('fc', [channels, o.numClasses], o.seed, stream++));
  }

  forward(x: tf.Tensor4D, mode: Mode): tf.Tensor2D {
    let y = activate(this.stemBn.apply(this.stem.apply(this.normalizeInput(x)), mode), this.act) as tf.Tensor4D;
    for (const b of this.blocks) {
      const h1 = activate(b.bnA.apply(b.convA.apply(y), mode), this.act) as tf.Tensor4D;
      const h2 = b.bnB.apply(b.convB.apply(h1), mode);
      const sc = b.shortcut ? tf.conv2d(y, b.shortcut, 2, 'same') : y;
      y = activate(tf.add(h2, sc), this.act) as tf.Tensor4D;
    }
    const pooled = tf.mean(y, [1, 2]) as tf.Tensor2D;
    return this.fc.apply(pooled);
  }

  /**
   * Block: Lip <= Lip(branch) + Lip(shortcut), shortcut 1 (identity or option A). Global average pooling of
   * an h x w map: ||mean||_2 <= ||x||_2 / sqrt(hw) per channel (Cauchy–Schwarz).
   */
  lipschitzTree(b: LayerBoundMap): LipschitzNode {
    const nodes: LipschitzNode[] = [
      ...this.normalizationNodes(),
      this.linearNode(this.stem.name, b),
      this.bnNode(this.stemBn),
    ];
    for (const blk of this.blocks) {
      nodes.push({
        kind: 'residual',
        branch: {
          kind: 'seq',
          nodes: [
            this.linearNode(blk.convA.name, b),
            this.bnNode(blk.bnA),
            this.linearNode(blk.convB.name, b),
            this.bnNode(blk.bnB),
          ],
        },
        shortcut: {
          kind: 'layer',
          name: blk.shortcut ? `${blk.convA.name}:option-a` : `${blk.convA.name}:identity`,
          bound: 1,
        },
      });
    }
    nodes.push({ kind: 'layer', name: 'avgpool', bound: 1 / Math.sqrt(this.poolSize[0] * this.poolSize[1]) });
    nodes.push(this.linearNode(this.fc.name, b));
    return { kind: 'seq', nodes };
  }
}
