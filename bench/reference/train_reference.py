#!/usr/bin/env python3
"""PyTorch reference for bench/train.bench.ts: the same small MNIST CNN (mnist-cnn), the same initial
weights and the same batch, trained with the same SGD (momentum, weight decay). Prints one JSON line.

Inputs (written by the TypeScript bench into --dir):
  spec.json   {"batch": N, "lr": .., "momentum": .., "weight_decay": .., "tensors": [{"name", "shape"}...]}
  weights.bin float32 LE, tfjs layouts (conv HWIO, dense [in, out]), in spec order
  x.bin       float32 LE, NHWC [N, 28, 28, 1];  y.bin  uint8 labels
"""
import argparse
import json
import os
import sys
import time

# A thread count must reach OpenMP/oneDNN before torch starts its pools: torch.set_num_threads(1)
# alone left a second busy thread here (CPU time ~2x wall time in the "1 thread" run).
if '--threads' in sys.argv:
    _n = sys.argv[sys.argv.index('--threads') + 1]
    if _n.isdigit() and int(_n) > 0:
        for _var in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS'):
            os.environ[_var] = _n

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def load(d):
    spec = json.load(open(os.path.join(d, 'spec.json')))
    flat = np.fromfile(os.path.join(d, 'weights.bin'), dtype='<f4')
    w, off = {}, 0
    for t in spec['tensors']:
        n = int(np.prod(t['shape']))
        w[t['name']] = flat[off:off + n].reshape(t['shape'])
        off += n
    n = spec['batch']
    x = np.fromfile(os.path.join(d, 'x.bin'), dtype='<f4').reshape(n, 28, 28, 1)
    y = np.fromfile(os.path.join(d, 'y.bin'), dtype=np.uint8).astype(np.int64)
    return spec, w, x, y


class MnistCnn(torch.nn.Module):
    """conv3x3(16)+relu, maxpool 2, conv3x3(32)+relu, maxpool 2, fc 128 + relu, fc 10 (as models/small-cnns.ts)."""

    def __init__(self, w):
        super().__init__()
        conv = lambda k: torch.nn.Parameter(torch.from_numpy(np.ascontiguousarray(k.transpose(3, 2, 0, 1))))  # HWIO -> OIHW
        dense = lambda k: torch.nn.Parameter(torch.from_numpy(np.ascontiguousarray(k.T)))  # [in,out] -> [out,in]
        vec = lambda b: torch.nn.Parameter(torch.from_numpy(b.copy()))
        self.c1, self.b1 = conv(w['conv1/kernel']), vec(w['conv1/bias'])
        self.c2, self.b2 = conv(w['conv2/kernel']), vec(w['conv2/bias'])
        self.f1, self.fb1 = dense(w['fc1/kernel']), vec(w['fc1/bias'])
        self.f2, self.fb2 = dense(w['fc2/kernel']), vec(w['fc2/bias'])

    def forward(self, x):  # x: NCHW
        h = F.max_pool2d(F.relu(F.conv2d(x, self.c1, self.b1, padding=1)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, self.c2, self.b2, padding=1)), 2)
        # Flatten in NHWC order, as tfjs does, so the dense weights mean the same thing.
        h = h.permute(0, 2, 3, 1).reshape(h.shape[0], -1)
        return F.linear(F.relu(F.linear(h, self.f1, self.fb1)), self.f2, self.fb2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dir', required=True)
    ap.add_argument('--steps', type=int, default=30)
    ap.add_argument('--warmup', type=int, default=3)
    ap.add_argument('--threads', type=int, default=0, help='0 = PyTorch default')
    ap.add_argument('--serve', action='store_true',
                    help='after the warm-up, read step counts from stdin (one per line) and answer each with one '
                         'JSON line of per-step times, so the caller can interleave blocks with its own')
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
        torch.set_num_interop_threads(a.threads)
    spec, w, x, y = load(a.dir)
    model = MnistCnn(w)
    opt = torch.optim.SGD(model.parameters(), lr=spec['lr'], momentum=spec['momentum'], weight_decay=spec['weight_decay'])
    xt = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()
    yt = torch.from_numpy(y)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(xt), yt)
        loss.backward()
        opt.step()
        return loss.item()

    first = step()
    for _ in range(a.warmup - 1):
        step()
    if a.serve:
        print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'first_loss': first}), flush=True)
        for line in sys.stdin:
            times, cpu = [], []
            for _ in range(int(line)):
                t0, c0 = time.perf_counter(), time.process_time()
                step()
                times.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
            print(json.dumps({'step_ms': times, 'cpu_ms': cpu}), flush=True)
        return
    times, cpu = [], []
    for _ in range(a.steps):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    med = float(np.median(times))
    print(json.dumps({
        'torch': torch.__version__,
        'threads': torch.get_num_threads(),
        'first_loss': first,
        'median_step_ms': med * 1000,
        # CPU time of all threads: equals wall time at 1 thread on an idle core.
        'median_cpu_ms': float(np.median(cpu)) * 1000,
        'images_per_s': spec['batch'] / med,
    }))


if __name__ == '__main__':
    main()
