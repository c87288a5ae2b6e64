/** Learning-rate schedules, as functions of the (fractional) epoch. */
import type { RunConfig } from '../../../shared/config.js';

/**
 * 'step': lr * gamma^(milestones passed) (He et al. 2016; the paper's 0.1 -> 0.01 -> 0.001 at epochs 100, 150);
 * 'cosine': lr * (1 + cos(pi * t / T)) / 2 (Loshchilov & Hutter 2017, no restarts), T = total epochs.
 */
export function learningRate(opt: RunConfig['optimizer'], epoch: number, totalEpochs: number): number {
  const s = opt.schedule;
  switch (s.kind) {
    case 'constant':
      return opt.lr;
    case 'step': {
      const passed = s.milestones.filter((m) => epoch >= m).length;
      return opt.lr * s.gamma ** passed;
    }
    case 'cosine': {
      const t = Math.min(Math.max(epoch / Math.max(totalEpochs, 1e-9), 0), 1);
      return (opt.lr * (1 + Math.cos(Math.PI * t))) / 2;
    }
  }
}
