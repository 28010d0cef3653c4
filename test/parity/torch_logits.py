#!/usr/bin/python3
"""Logits (and mean cross-entropy) of the PyTorch reference for pre-tokenised batches, as JSON.

usage: torch_logits.py MODEL_DIR BATCHES_JSON
Imports torch_bert.py from ../shared/reference (or $TORCH_BERT_DIR) and runs its eval forward.
"""
import json, os, sys

REF = os.environ.get("TORCH_BERT_DIR") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "reference")
sys.path.insert(0, REF)
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import torch_bert as tb  # noqa: E402

model, batches = sys.argv[1], json.load(open(sys.argv[2]))
c = json.load(open(os.path.join(model, "config.json")))
p = tb.load_safetensors(os.path.join(model, "model.safetensors"))
out = []
with torch.no_grad():
    for b in batches:
        ids, mask, types, y = tb.tensors(b)
        logits = tb.forward(p, c, ids, mask, types, train=False)
        out.append({"logits": logits.tolist(), "loss": F.cross_entropy(logits, y).item()})
print(json.dumps(out))
