"""Outside reference for benchmarks/run.ts: torch.nn.RNN (tanh), nn.LSTM or nn.GRU (bias, zero
initial states) forward and training step (forward + backward of sum(output)) on the same shapes,
float32, batch_first. torch's GRU is the resetAfter=true form (r multiplies h·U_h + b_hn), the one
Keras and cuDNN use; tf.layers.gru can only do resetAfter=false, so the GRU rows compare forms
that differ in where r applies, not in their work.

Usage: python3 benchmarks/torch_rnn.py '{"cell": "simple", "shapes": [{"name": "S1", "B": 1, "T": 100,
        "D": 32, "H": 64}], "reps": 5, "warmup": 2, "budget_s": 60}'   (cell: simple | lstm | gru)
Prints one JSON object on stdout: {"torch": version, "threads": n, "blas": "...", "results": [...]}.
"""
import json
import re
import statistics
import sys
import time

import torch

MODULES = {
    'simple': lambda D, H: torch.nn.RNN(D, H, nonlinearity='tanh', bias=True, batch_first=True),
    'lstm': lambda D, H: torch.nn.LSTM(D, H, bias=True, batch_first=True),
    'gru': lambda D, H: torch.nn.GRU(D, H, bias=True, batch_first=True),
}


def blas_info():
    """torch's build BLAS setting plus the BLAS library actually mapped into this process (a generic
    build takes whatever libblas.so.3 the system's alternatives point at: reference or OpenBLAS)."""
    torch.ones(64, 64) @ torch.ones(64, 64)  # make sure the BLAS is loaded
    cfg = torch.__config__.show()
    build = re.findall(r'BLAS_INFO=[^,\s]+', cfg)
    try:
        with open('/proc/self/maps') as f:
            libs = sorted({l.split()[-1].rsplit('/', 1)[-1] for l in f if ('blas' in l.lower() or 'mkl' in l.lower()) and '.so' in l})
    except OSError:
        libs = []
    return '; '.join(build + ['loaded: ' + (', '.join(libs) if libs else 'unknown')])


def time_one(fn, reps, warmup, budget_s):
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    for _ in range(max(0, warmup - 1)):
        fn()
    reps = max(1, min(reps, int(budget_s / max(first, 1e-9))))
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000.0)
    return samples


def main():
    cfg = json.loads(sys.argv[1])
    torch.manual_seed(0)
    torch.set_num_threads(int(cfg.get('threads', 1)))
    out = {
        'torch': torch.__version__,
        'threads': torch.get_num_threads(),
        'blas': blas_info(),
        'results': [],
    }
    for s in cfg['shapes']:
        B, T, D, H = s['B'], s['T'], s['D'], s['H']
        rnn = MODULES[cfg.get('cell', 'simple')](D, H)
        x = torch.rand(B, T, D) * 2 - 1

        def forward():
            with torch.no_grad():
                y, _ = rnn(x)
            return float(y[0, 0, 0])  # forces completion on any device

        def train():
            rnn.zero_grad(set_to_none=True)
            y, _ = rnn(x)
            y.sum().backward()
            return float(rnn.weight_hh_l0.grad[0, 0])

        for kind, fn in (('forward', forward), ('train', train)):
            samples = time_one(fn, cfg.get('reps', 5), cfg.get('warmup', 2), cfg.get('budget_s', 60))
            out['results'].append({'shape': s['name'], 'kind': kind, 'samplesMs': samples})
    print(json.dumps(out))


if __name__ == '__main__':
    main()
