#!/usr/bin/python3
"""PyTorch reference for the parity tests: BERT, RoBERTa / XLM-RoBERTa, DistilBERT and ModernBERT
sequence classifiers with Hugging Face's parameter names, trained the way transformers' Trainer
does (see README.md). Run with Debian's /usr/bin/python3 (python3-torch).

  reference.py init --arch bert --out DIR [--layers 2 --hidden 64 --vocab 1000 --labels 2 --bias-std 0.5]
  reference.py init --config config.json --out DIR [--labels 2 --bias-std 0.5]   # any model_type in MODELS
  reference.py forward --model DIR --batches B.json        # {"batch","logits","loss"} per batch
  reference.py train --model DIR --batches B.json --steps 20 --lr 1e-3 --weight-decay 0.01 \\
      --warmup-steps 2 [--total-steps N --max-grad-norm 1 --dropout 0.1 --save OUT]
                                                            # {"step","loss","lr","grad_norm"} per step
"""
import argparse
import json
import os
import shutil
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from bert import BertForSequenceClassification, RobertaForSequenceClassification  # noqa: E402
from distilbert import DistilBertForSequenceClassification  # noqa: E402
from layers import Norm  # noqa: E402
from modernbert import FULL, SLIDING, ModernBertForSequenceClassification  # noqa: E402

MODELS = {
    "bert": BertForSequenceClassification,
    "roberta": RobertaForSequenceClassification,
    "xlm-roberta": RobertaForSequenceClassification,
    "distilbert": DistilBertForSequenceClassification,
    "modernbert": ModernBertForSequenceClassification,
}
ARCHITECTURES = {
    "bert": "BertForSequenceClassification",
    "roberta": "RobertaForSequenceClassification",
    "xlm-roberta": "XLMRobertaForSequenceClassification",
    "distilbert": "DistilBertForSequenceClassification",
    "modernbert": "ModernBertForSequenceClassification",
}


def make_config(a):
    """config.json of a small model of `a.arch`, with transformers' names and defaults."""
    labels = {"id2label": {str(i): f"LABEL_{i}" for i in range(a.labels)},
              "label2id": {f"LABEL_{i}": i for i in range(a.labels)}}
    base = {"model_type": a.arch, "architectures": [ARCHITECTURES[a.arch]], "vocab_size": a.vocab,
            "initializer_range": 0.02, **labels}
    ffn = a.intermediate or 4 * a.hidden
    if a.arch in ("bert", "roberta", "xlm-roberta"):
        roberta = a.arch != "bert"
        return {**base, "hidden_size": a.hidden, "num_hidden_layers": a.layers, "num_attention_heads": a.heads,
                "intermediate_size": ffn, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
                "attention_probs_dropout_prob": 0.1,
                # RoBERTa's positions start after the pad id: max_pos + 2 rows, as roberta-base's 514.
                "max_position_embeddings": a.max_pos + 2 if roberta else a.max_pos,
                "type_vocab_size": 1 if roberta else 2, "layer_norm_eps": 1e-5 if roberta else 1e-12,
                "pad_token_id": 1 if roberta else 0, **({"bos_token_id": 0, "eos_token_id": 2} if roberta else {})}
    if a.arch == "distilbert":
        return {**base, "dim": a.hidden, "n_layers": a.layers, "n_heads": a.heads, "hidden_dim": ffn,
                "activation": "gelu", "dropout": 0.1, "attention_dropout": 0.1, "seq_classif_dropout": 0.2,
                "max_position_embeddings": a.max_pos, "sinusoidal_pos_embds": False, "pad_token_id": 0}
    every = a.global_every
    types = [FULL if i % every == 0 else SLIDING for i in range(a.layers)]
    return {**base, "hidden_size": a.hidden, "num_hidden_layers": a.layers, "num_attention_heads": a.heads,
            "intermediate_size": a.intermediate or 3 * a.hidden // 2, "hidden_activation": "gelu",
            "max_position_embeddings": a.max_pos, "norm_eps": 1e-5, "norm_bias": False, "attention_bias": False,
            "mlp_bias": False, "classifier_bias": False, "classifier_activation": "gelu",
            "classifier_pooling": a.pooling, "local_attention": a.local_attention,
            "global_attn_every_n_layers": every, "global_rope_theta": 160000.0, "local_rope_theta": 10000.0,
            # transformers 5 writes the same layout as layer_types and rope_parameters.
            "layer_types": types, "rope_parameters": {FULL: {"rope_type": "default", "rope_theta": 160000.0},
                                                      SLIDING: {"rope_type": "default", "rope_theta": 10000.0}},
            "embedding_dropout": 0.0, "attention_dropout": 0.0, "mlp_dropout": 0.0, "classifier_dropout": 0.0,
            "pad_token_id": 0, "cls_token_id": 1, "sep_token_id": 2, "bos_token_id": 1, "eos_token_id": 2}


def num_labels(c):
    return len(c["id2label"]) if "id2label" in c else c.get("num_labels", 2)


def build(c, dropout=0.0):
    t = c.get("model_type")
    if t not in MODELS:
        raise SystemExit(f"config.json: model_type {t!r} is not one of {sorted(MODELS)}")
    return MODELS[t](c, num_labels(c), dropout)


def norm_params(model):
    """Names of the parameters of norm modules (no weight decay, like every bias)."""
    return {f"{m}.{p}" if m else p for m, mod in model.named_modules() if isinstance(mod, Norm)
            for p, _ in mod.named_parameters(recurse=False)}


def init_weights(model, c, bias_std, gen):
    """transformers' _init_weights (normal(0, initializer_range) weights and embeddings, pad rows 0,
    norms 1), except that with bias_std > 0 every bias is drawn from normal(0, bias_std)."""
    std = c.get("initializer_range", 0.02)
    norms = norm_params(model)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias"):
                p.copy_(torch.randn(p.shape, generator=gen) * bias_std if bias_std > 0 else torch.zeros_like(p))
            elif name in norms:
                p.fill_(1.0)
            else:
                p.copy_(torch.randn(p.shape, generator=gen) * std)
        for mod in model.modules():
            if isinstance(mod, torch.nn.Embedding) and mod.padding_idx is not None:
                mod.weight[mod.padding_idx].zero_()


def load(model_dir, dropout=0.0):
    with open(os.path.join(model_dir, "config.json")) as f:
        c = json.load(f)
    model = build(c, dropout)
    model.load_state_dict(safetensors_io.load(os.path.join(model_dir, "model.safetensors")), strict=True)
    return c, model


def tensors(b, model):
    ids = torch.tensor(b["input_ids"], dtype=torch.int64)
    mask = torch.tensor(b["attention_mask"], dtype=torch.int64) if "attention_mask" in b else torch.ones_like(ids)
    types = torch.tensor(b["token_type_ids"], dtype=torch.int64) if "token_type_ids" in b else torch.zeros_like(ids)
    return ids, mask, types, torch.tensor(b["labels"], dtype=torch.int64)


def linear_schedule(warmup, total):
    """transformers' get_linear_schedule_with_warmup: the lr factor for scheduler step n."""
    return lambda n: n / max(1, warmup) if n < warmup else max(0.0, (total - n) / max(1, total - warmup))


def config_from(a):
    """--config FILE (a config.json the caller wrote, e.g. a family's own shapeConfig) with --labels
    labels unless it has its own; otherwise make_config's small model of --arch."""
    if not a.config:
        return make_config(a)
    with open(a.config) as f:
        c = json.load(f)
    if "id2label" not in c:
        c["id2label"] = {str(i): f"LABEL_{i}" for i in range(a.labels)}
        c["label2id"] = {f"LABEL_{i}": i for i in range(a.labels)}
    return c


def cmd_init(a):
    c = config_from(a)
    torch.manual_seed(a.seed)
    model = build(c)
    init_weights(model, c, a.bias_std, torch.Generator().manual_seed(a.seed))
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(c, f, indent=2)
    safetensors_io.save(os.path.join(a.out, "model.safetensors"), model.state_dict())


def cmd_forward(a):
    _, model = load(a.model)
    model.eval()
    with open(a.batches) as f:
        batches = json.load(f)
    with torch.no_grad():
        for i, b in enumerate(batches):
            ids, mask, types, y = tensors(b, model)
            logits = model(ids, mask, types)
            print(json.dumps({"batch": i, "logits": logits.tolist(), "loss": F.cross_entropy(logits, y).item()}))


def cmd_train(a):
    torch.manual_seed(a.seed)  # dropout masks
    _, model = load(a.model, a.dropout)
    with open(a.batches) as f:
        batches = json.load(f)
    # The Trainer's parameter groups: no weight decay on biases and norm parameters.
    norms = norm_params(model)
    named = list(model.named_parameters())
    decay = [p for n, p in named if not (n.endswith("bias") or n in norms)]
    no_decay = [p for n, p in named if n.endswith("bias") or n in norms]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.999), eps=a.adam_epsilon)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, linear_schedule(a.warmup_steps, a.total_steps or a.steps))
    params = [p for _, p in named]
    model.train()
    for step in range(a.steps):
        ids, mask, types, y = tensors(batches[step % len(batches)], model)
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(ids, mask, types), y)
        loss.backward()
        # grad_norm as the Trainer logs it: clip_grad_norm_'s total norm, before clipping.
        grads = [p.grad for p in params if p.grad is not None]
        norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
        if a.max_grad_norm > 0:
            torch.nn.utils.clip_grad_norm_(params, a.max_grad_norm)
        lr = sched.get_last_lr()[0]
        opt.step()
        sched.step()
        print(json.dumps({"step": step + 1, "loss": loss.item(), "lr": lr, "grad_norm": norm.item()}), flush=True)
    if a.save:
        os.makedirs(a.save, exist_ok=True)
        shutil.copyfile(os.path.join(a.model, "config.json"), os.path.join(a.save, "config.json"))
        safetensors_io.save(os.path.join(a.save, "model.safetensors"), model.state_dict())


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    i = sub.add_parser("init", help="a randomly initialised model directory (config.json, model.safetensors)")
    i.add_argument("--arch", choices=sorted(MODELS), default="bert")
    i.add_argument("--out", required=True)
    i.add_argument("--config", default="", help="build from this config.json (its model_type picks the class)")
    for k, v in {"layers": 2, "hidden": 64, "heads": 4, "intermediate": 0, "vocab": 1000, "labels": 2,
                 "max-pos": 64, "seed": 0, "local-attention": 128, "global-every": 3}.items():
        i.add_argument(f"--{k}", type=int, default=v)
    i.add_argument("--pooling", choices=["cls", "mean"], default="cls", help="modernbert classifier_pooling")
    i.add_argument("--bias-std", type=float, default=0.0, help="biases from normal(0, this) instead of 0")
    f = sub.add_parser("forward", help="eval-mode logits and cross-entropy per batch")
    f.add_argument("--model", required=True)
    f.add_argument("--batches", required=True, help="JSON list of {input_ids, attention_mask?, token_type_ids?, labels}")
    t = sub.add_parser("train", help="AdamW steps, one JSON line each")
    t.add_argument("--model", required=True)
    t.add_argument("--batches", required=True, help="step i trains on batch i mod len")
    t.add_argument("--steps", type=int, required=True)
    t.add_argument("--lr", type=float, default=2e-5)
    t.add_argument("--weight-decay", type=float, default=0.0)
    t.add_argument("--adam-epsilon", type=float, default=1e-8)
    t.add_argument("--warmup-steps", type=int, default=0)
    t.add_argument("--total-steps", type=int, default=0, help="schedule length (0: --steps)")
    t.add_argument("--max-grad-norm", type=float, default=0.0, help="clip to this global norm (0: no clipping)")
    t.add_argument("--dropout", type=float, default=0.0, help="at every dropout site; 0 (default): deterministic")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--save", default="", help="write the final config.json and model.safetensors here")
    a = p.parse_args(argv)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    {"init": cmd_init, "forward": cmd_forward, "train": cmd_train}[a.cmd](a)


if __name__ == "__main__":
    main(sys.argv[1:])
