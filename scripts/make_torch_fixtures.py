"""Golden numbers from PyTorch: nn.LSTM and nn.GRU forward values and gradients, in float64.

Writes test/fixtures/torch_lstm.json and test/fixtures/torch_gru.json, which the jest tests
(test/reference_torch.test.ts) read through the PyTorch layout converters to check the float64
references. The tests only read the JSON; this script is how it was made. Run from the repo root:

    /usr/bin/python3 scripts/make_torch_fixtures.py

(/usr/bin/python3 is Debian's, with python3-torch from apt; made with torch 1.13.0a0.)

For each case: one layer, batch_first, float64. Weights are drawn uniform in [-scale, scale] and
rounded to multiples of 2^-12, so that they are exact in float32 and the tests can pass them
through the float32 (tfjs) converters without changing them; inputs, initial states and
upstream gradients are plain float64 draws. The gradients are of
    L = sum(dSequence * output) + sum(dLast * h_n) + sum(dLastCell * c_n)     (c_n: LSTM only)
with respect to every parameter, the input and (where given) h0 and c0. h_n, c_n, h0 and c0 are
stored as [B, H] (PyTorch's leading layer axis of 1 dropped).
"""
import json
import os

import torch

# --- config -----------------------------------------------------------------------------------
OUT_DIR = os.path.join("test", "fixtures")
COMMAND = "/usr/bin/python3 scripts/make_torch_fixtures.py"
WEIGHT_GRID = 2.0 ** -12  # weights are multiples of this: exact in float32
CASES = [  # name, B, T, D, H, bias, initial states given, weight scale, seed
    dict(name="B1 T1 D2 H3", B=1, T=1, D=2, H=3, bias=True, initial=True, scale=0.5, seed=1),
    dict(name="B3 T7 D4 H5", B=3, T=7, D=4, H=5, bias=True, initial=True, scale=0.5, seed=2),
    dict(name="B3 T7 D4 H5 no bias, zero initial states", B=3, T=7, D=4, H=5, bias=False, initial=False, scale=0.5, seed=3),
    dict(name="B1 T30 D4 H32 strongly driven (uniform +-0.6)", B=1, T=30, D=4, H=32, bias=True, initial=True, scale=0.6, seed=4),
]
# -----------------------------------------------------------------------------------------------

torch.set_num_threads(1)  # one summation order, so a rerun writes the same digits


def uniform(shape, lo, hi, gen):
    return torch.rand(shape, generator=gen, dtype=torch.float64) * (hi - lo) + lo


def make_case(cell, case):
    gen = torch.Generator().manual_seed(case["seed"])
    B, T, D, H = case["B"], case["T"], case["D"], case["H"]
    nn_class = torch.nn.LSTM if cell == "lstm" else torch.nn.GRU
    module = nn_class(D, H, num_layers=1, bias=case["bias"], batch_first=True).double()
    with torch.no_grad():
        for name, p in module.named_parameters():
            w = uniform(p.shape, -case["scale"], case["scale"], gen)
            p.copy_(torch.round(w / WEIGHT_GRID) * WEIGHT_GRID)
    weights = {name: p.detach().tolist() for name, p in module.named_parameters()}

    x = uniform((B, T, D), -1, 1, gen).requires_grad_()
    states = {}
    if case["initial"]:
        states["h0"] = uniform((1, B, H), -0.5, 0.5, gen).requires_grad_()
        if cell == "lstm":
            states["c0"] = uniform((1, B, H), -0.5, 0.5, gen).requires_grad_()
    upstream = {"dSequence": uniform((B, T, H), -1, 1, gen), "dLast": uniform((B, H), -1, 1, gen)}
    if cell == "lstm":
        upstream["dLastCell"] = uniform((B, H), -1, 1, gen)

    if cell == "lstm":
        hx = (states["h0"], states["c0"]) if case["initial"] else None
        output, (h_n, c_n) = module(x, hx)
        forward = {"output": output, "h_n": h_n[0], "c_n": c_n[0]}
    else:
        output, h_n = module(x, states.get("h0"))
        forward = {"output": output, "h_n": h_n[0]}
    L = (upstream["dSequence"] * output).sum() + (upstream["dLast"] * h_n[0]).sum()
    if cell == "lstm":
        L = L + (upstream["dLastCell"] * c_n[0]).sum()
    L.backward()

    gradients = {name: p.grad.tolist() for name, p in module.named_parameters()}
    gradients["input"] = x.grad.tolist()
    for name, s in states.items():
        gradients[name] = s.grad[0].tolist()
    initial = {name: (states[name].detach()[0].tolist() if name in states else None) for name in ("h0", "c0")}
    if cell == "gru":
        del initial["c0"]
    return {
        **case,
        "weights": weights,
        "input": x.detach().tolist(),
        **initial,
        "upstream": {k: v.tolist() for k, v in upstream.items()},
        "loss": L.item(),
        "forward": {k: v.detach().tolist() for k, v in forward.items()},
        "gradients": gradients,
    }


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for cell, module_name in (("lstm", "torch.nn.LSTM"), ("gru", "torch.nn.GRU")):
        fixture = {
            "description": f"{module_name} forward values and gradients in float64, one layer, batch_first",
            "command": COMMAND,
            "script": "scripts/make_torch_fixtures.py",
            "torch": torch.__version__,
            "dtype": "float64",
            "weightGrid": WEIGHT_GRID,
            "loss": "L = sum(dSequence * output) + sum(dLast * h_n)" + (" + sum(dLastCell * c_n)" if cell == "lstm" else ""),
            "layout": "PyTorch state_dict names and shapes; h0, c0, h_n, c_n as [B, H]; input, output as [B, T, *]",
            "cases": [make_case(cell, case) for case in CASES],
        }
        path = os.path.join(OUT_DIR, f"torch_{cell}.json")
        with open(path, "w") as f:
            json.dump(fixture, f, separators=(",", ":"))
            f.write("\n")
        print(f"wrote {path} ({os.path.getsize(path) / 1024:.0f} KB, {len(CASES)} cases)")


if __name__ == "__main__":
    main()
