#!/usr/bin/python3
"""Cross-checks the repository's PyTorch reference (test/reference/reference.py) against an
independent one (../shared/reference: torch_bert.py, torch_encoders.py; or --other DIR) on the same
weights and batches, and prints the largest differences. Not part of `npm test`.

  /usr/bin/python3 scripts/reference-crosscheck.py [--other ../shared/reference] [--steps 20]

For each architecture: a model written by our `init` (biases drawn non-zero), padded batches (a pad
id inside a row where the attention mask is 1, except for BERT, see below), then both references'
`train --save` (loss, lr, grad_norm per step and every final parameter) and, where the other one
has it, `forward` (eval logits).
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OURS = os.path.join(ROOT, "test", "reference", "reference.py")
sys.path.insert(0, os.path.join(ROOT, "test", "reference"))
import safetensors_io  # noqa: E402

# arch, init flags, pad id, first-token id, a pad id inside row 1?, the other reference's script
CASES = [
    # torch_bert.py gives the [PAD] row a gradient where a pad id sits under mask 1 (HF does not):
    # keep pad ids inside the padding for BERT.
    ("bert", [], 0, 101, False, "torch_bert.py"),
    ("roberta", [], 1, 0, True, "torch_encoders.py"),
    ("distilbert", [], 0, 101, True, "torch_encoders.py"),
    ("modernbert", ["--local-attention", "8", "--layers", "3"], 0, 1, True, "torch_encoders.py"),
    ("modernbert", ["--local-attention", "4", "--global-every", "2", "--pooling", "mean", "--layers", "3"], 0, 1,
     True, "torch_encoders.py"),
]


def batches(count, batch, seq, vocab, labels, pad, cls, pad_inside, token_types, seed):
    r = random.Random(seed)
    out = []
    for _ in range(count):
        b = {"input_ids": [], "attention_mask": [], "labels": []}
        if token_types:
            b["token_type_ids"] = []
        for i in range(batch):
            n = seq if i == 0 else r.randint(3, seq)
            ids = [cls] + [r.choice([t for t in range(4, vocab) if t not in (pad, cls)][:200]) for _ in range(n - 1)]
            if pad_inside and i == 1 and n > 4:
                ids[3] = pad
            b["input_ids"].append(ids + [pad] * (seq - n))
            b["attention_mask"].append([1] * n + [0] * (seq - n))
            if token_types:
                split = r.randint(1, n)
                b["token_type_ids"].append([1 if split <= t < n else 0 for t in range(seq)])
            b["labels"].append(ids[1] % labels)
        out.append(b)
    return out


def run(args):
    return subprocess.run([sys.executable, *args], check=True, capture_output=True, text=True,
                          env={**os.environ, "OMP_NUM_THREADS": "1"}).stdout


def lines(text):
    return [json.loads(x) for x in text.strip().splitlines()]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--other", default=os.path.join(ROOT, "..", "shared", "reference"))
    p.add_argument("--steps", type=int, default=20)
    a = p.parse_args()
    worst = {"loss": 0.0, "grad_norm": 0.0, "lr": 0.0, "param": 0.0, "logit": 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        for n, (arch, flags, pad, cls, inside, script) in enumerate(CASES):
            other = os.path.join(a.other, script)
            d = os.path.join(tmp, f"{n}-{arch}")
            run([OURS, "init", "--arch", arch, "--out", d, "--bias-std", "0.5", "--max-pos", "32", *flags])
            bf = os.path.join(d, "batches.json")
            with open(bf, "w") as f:
                json.dump(batches(5, 8, 16, 1000, 2, pad, cls, inside, arch == "bert", seed=n), f)
            common = ["--model", d, "--batches", bf, "--steps", str(a.steps), "--lr", "1e-3", "--weight-decay", "0.01",
                      "--warmup-steps", "2", "--total-steps", str(a.steps)]
            ours = lines(run([OURS, "train", *common, "--save", d + "-ours"]))
            theirs = lines(run([other, "train", *common, "--save", d + "-other"]))
            rel = lambda x, y: abs(x - y) / max(abs(y), 1e-30)  # noqa: E731
            dl = max(rel(o["loss"], t["loss"]) for o, t in zip(ours, theirs))
            dg = max(rel(o["grad_norm"], t["grad_norm"]) for o, t in zip(ours, theirs))
            dr = max(abs(o["lr"] - t["lr"]) for o, t in zip(ours, theirs))
            po = safetensors_io.load(os.path.join(d + "-ours", "model.safetensors"))
            pt = safetensors_io.load(os.path.join(d + "-other", "model.safetensors"))
            missing = sorted(set(po) ^ set(pt))
            dp, dk = max(((po[k] - pt[k]).abs().max().item(), k) for k in po if k in pt)
            line = (f"{arch} {' '.join(flags)}: {len(ours)} steps; max relative difference loss {dl:.2e}, "
                    f"grad_norm {dg:.2e}; max |lr diff| {dr:.1e}; final parameters max |diff| {dp:.2e}"
                    + (f" ({dk})" if dp else "")
                    + (f"; keys only on one side: {missing}" if missing else ""))
            worst.update(loss=max(worst["loss"], dl), grad_norm=max(worst["grad_norm"], dg),
                         lr=max(worst["lr"], dr), param=max(worst["param"], dp))
            if script == "torch_encoders.py":
                fo = lines(run([OURS, "forward", "--model", d, "--batches", bf]))
                ft = lines(run([other, "forward", "--model", d, "--batches", bf]))
                dlog = max(abs(x - y) for o, t in zip(fo, ft)
                           for ro, rt in zip(o["logits"], t["logits"]) for x, y in zip(ro, rt))
                worst["logit"] = max(worst["logit"], dlog)
                line += f"; eval logits max |diff| {dlog:.2e}"
            print(line, flush=True)
    print("worst: " + ", ".join(f"{k} {v:.2e}" for k, v in worst.items()))


if __name__ == "__main__":
    main()
