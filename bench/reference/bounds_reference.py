"""Reference timings for `npm run bench:bounds`, run by the benchmark in the same invocation.

Reads the same kernels the TypeScript side used (raw float32 HWIO files + manifest.json), then times, in PyTorch:
  * F4 (Singla & Feizi 2021): 50 power iterations on the four reshapes R, S, T, U of all layers;
  * F4's per-step cost in training: 1 power iteration + sigma = u^T M v and its gradient (backward);
and with numpy, Sedghi, Gupta & Long (2019)'s published method for the exact circular norm:
  transforms = np.fft.fft2(kernel, (n, n), axes=[0, 1]); np.linalg.svd(transforms, compute_uv=False)
at each layer's real feature-map size; and (--serve commands gram T, toeplitz T1 T2 ...) Gram iteration
(Delattre et al., ICML 2023) with complex64 batched matmuls on the full 2-D FFT, and the Toeplitz bound norm2toep
(Delattre et al. 2024) with conv2d self-correlations. Prints one JSON object on stdout.

With --serve it loads and warms up, prints one JSON line, then answers commands read from stdin (f4_50, f4_step,
sedghi) with one JSON line each, so the benchmark can interleave its own timings with these.
"""
import json
import sys
import time

import numpy as np
import torch


def reshapes(L):
    """L[o,i,k,l] -> R (o,k)x(i,l), S (o,l)x(i,k), T o x (i,k,l), U (o,k,l) x i (the paper's Section 3)."""
    co, ci, h, w = L.shape
    R = L.permute(0, 2, 1, 3).reshape(co * h, ci * w)
    S = L.permute(0, 3, 1, 2).reshape(co * w, ci * h)
    T = L.reshape(co, ci * h * w)
    U = L.permute(0, 2, 3, 1).reshape(co * h * w, ci)
    return [R, S, T, U]


def power_iterate(M, u, v, iters):
    with torch.no_grad():
        for _ in range(iters):
            v = M.t() @ u
            v = v / v.norm()
            u = M @ v
            u = u / u.norm()
    return u, v


def f4_bound(L, uv, iters):
    h, w = L.shape[2], L.shape[3]
    sig = []
    for j, M in enumerate(reshapes(L)):
        u, v = power_iterate(M, *uv[j], iters)
        uv[j] = (u, v)
        sig.append(u @ (M @ v))
    return (h * w) ** 0.5 * torch.min(torch.stack(sig)), sig


def gram_iteration(L, n, t):
    """Delattre et al. 2023, Algorithm 1 on every frequency at once: X <- X^H X after Frobenius rescaling, t times."""
    X = torch.fft.fft2(L, s=(n, n)).permute(2, 3, 0, 1)  # [n, n, c_out, c_in] complex64
    r = torch.zeros(n, n)
    for _ in range(t):
        norm = torch.linalg.matrix_norm(X, ord="fro")
        r = 2 * (r + torch.log(norm))
        X = X / norm[..., None, None]
        X = X.mH @ X
    last = torch.linalg.matrix_norm(X, ord="fro")
    return float(torch.max(torch.exp((torch.log(last) + r) / 2 ** t)))


def norm2toep(L, t):
    """Delattre et al. 2024 (lip4conv): t self-correlations of the kernel, then the max absolute row sum."""
    K = L if L.shape[0] >= L.shape[1] else L.transpose(0, 1)
    log_norm = torch.zeros(())
    for _ in range(t):
        norm = K.norm()
        log_norm = 2 * (log_norm + torch.log(norm))
        K = K / norm
        K = torch.nn.functional.conv2d(K, K, padding=(K.shape[2] - 1, K.shape[3] - 1))
    sigma = torch.sum(torch.abs(K), dim=(1, 2, 3)).max()
    return float(sigma ** (2.0 ** -t) * torch.exp(log_norm * 2.0 ** -t))


def timed_layers(layers, fn, ts):
    """fn(layer, t) on every layer with ts[j] > 0: (values, seconds) per layer, None where ts[j] == 0."""
    values, seconds = [], []
    with torch.no_grad():
        for layer, t in zip(layers, ts):
            if t <= 0:
                values.append(None)
                seconds.append(None)
                continue
            t0 = time.perf_counter()
            values.append(fn(layer, t))
            seconds.append(time.perf_counter() - t0)
    return values, seconds


def timeit(fn, repeats):
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    serve = '--serve' in sys.argv
    args = [a for a in sys.argv[1:] if a != '--serve']
    folder = args[0]
    repeats = int(args[1]) if len(args) > 1 else 3
    torch.manual_seed(0)
    manifest = json.load(open(f"{folder}/manifest.json"))
    layers = []
    for m in manifest["layers"]:
        h, w, ci, co = m["shape_hwio"]
        W = np.fromfile(f"{folder}/{m['file']}", dtype=np.float32).reshape(h, w, ci, co)
        L = torch.from_numpy(np.ascontiguousarray(W.transpose(3, 2, 0, 1)))
        uv = [(torch.randn(M.shape[0]), torch.randn(M.shape[1])) for M in reshapes(L)]
        uv = [(u / u.norm(), v / v.norm()) for u, v in uv]
        layers.append({"name": m["name"], "W": W, "L": L, "uv": uv, "n": m["n"]})

    def f4_50():
        out = []
        for layer in layers:
            b, _ = f4_bound(layer["L"], [(u.clone(), v.clone()) for u, v in layer["uv"]], 50)
            out.append(float(b))
        return out

    f4_values = f4_50()
    if serve:
        return serve_loop(layers, f4_50, f4_values)
    t_f4_50 = timeit(f4_50, repeats)

    f4_step = step_state(layers)
    t_f4_step = timeit(f4_step, max(repeats, 5))

    sedghi_values, sedghi_times = sedghi_all(layers)
    print(json.dumps({
        "torch": torch.__version__,
        "numpy": np.__version__,
        "threads": torch.get_num_threads(),
        "f4_50_seconds": t_f4_50,
        "f4_values": f4_values,
        "f4_step_seconds": t_f4_step,
        "sedghi_seconds": sedghi_times,
        "sedghi_values": sedghi_values,
    }))


def step_state(layers):
    """Parameters and warm singular vectors (50 iterations) for the per-step measurement, and that step."""
    params = [layer["L"].clone().requires_grad_(True) for layer in layers]
    states = [[(u.clone(), v.clone()) for u, v in layer["uv"]] for layer in layers]
    for P, st in zip(params, states):
        f4_bound(P.detach(), st, 50)

    def f4_step():
        total = 0
        for P, st in zip(params, states):
            b, _ = f4_bound(P, st, 1)
            total = total + b
        total.backward()
        for P in params:
            P.grad = None

    f4_step()
    return f4_step


def serve_loop(layers, f4_50, f4_values):
    """--serve: one JSON line per command read from stdin, so the caller can interleave its own timings."""
    f4_step = step_state(layers)
    print(json.dumps({"torch": torch.__version__, "numpy": np.__version__, "threads": torch.get_num_threads(),
                      "f4_values": f4_values}), flush=True)
    for line in sys.stdin:
        cmd = line.strip()
        if cmd in ("f4_50", "f4_step"):
            fn = f4_50 if cmd == "f4_50" else f4_step
            t0 = time.perf_counter()
            fn()
            print(json.dumps({"seconds": time.perf_counter() - t0}), flush=True)
        elif cmd.startswith("gram ") or cmd.startswith("toeplitz "):
            # "gram T1 T2 ..." / "toeplitz T1 T2 ...": iterations per layer (0 skips a layer)
            name, *ts = cmd.split()
            fn = (lambda l, t: gram_iteration(l["L"], l["n"], t)) if name == "gram" else (lambda l, t: norm2toep(l["L"], t))
            values, seconds = timed_layers(layers, fn, [int(t) for t in ts])
            print(json.dumps({"values": values, "seconds": seconds}), flush=True)
        elif cmd == "sedghi":
            values, times = sedghi_all(layers)
            print(json.dumps({"sedghi_seconds": times, "sedghi_values": values}), flush=True)


def sedghi_all(layers):
    sedghi_values, sedghi_times = [], []
    for layer in layers:
        n = layer["n"]

        def sedghi():
            transforms = np.fft.fft2(layer["W"].astype(np.float64), (n, n), axes=[0, 1])
            return np.linalg.svd(transforms, compute_uv=False)

        t0 = time.perf_counter()
        sv = sedghi()
        sedghi_times.append(time.perf_counter() - t0)
        sedghi_values.append(float(sv.max()))
    return sedghi_values, sedghi_times


if __name__ == "__main__":
    main()
