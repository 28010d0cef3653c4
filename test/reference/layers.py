"""Building blocks shared by the four encoders: a LayerNorm whose bias is optional (torch 1.13's
nn.LayerNorm always has one; ModernBERT's has none), Hugging Face's activations by config name,
and eager softmax attention over [batch, heads, seq, head_dim] with an additive mask."""
import math

import torch
import torch.nn.functional as F
from torch import nn


class Norm(nn.Module):
    """LayerNorm over the last dim; `weight` always, `bias` when asked (HF's names). The Trainer
    applies no weight decay to any parameter of a norm module."""

    def __init__(self, dim, eps, bias=True):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim)) if bias else None

    def forward(self, x):
        return F.layer_norm(x, x.shape[-1:], self.weight, self.bias, self.eps)


def _tanh_gelu(x, c):
    return 0.5 * x * (1.0 + torch.tanh(c * (x + 0.044715 * x.pow(3))))


# transformers' ACT2FN entries the encoder configs use.
ACTIVATIONS = {
    "gelu": lambda x: F.gelu(x),  # exact, erf
    "relu": F.relu,
    "silu": F.silu,
    "swish": F.silu,
    "tanh": torch.tanh,
    "gelu_new": lambda x: _tanh_gelu(x, math.sqrt(2.0 / math.pi)),
    "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "gelu_fast": lambda x: 0.5 * x * (1.0 + torch.tanh(x * 0.7978845608 * (1.0 + 0.044715 * x * x))),
    "quick_gelu": lambda x: x * torch.sigmoid(1.702 * x),
}


def activation(name):
    if name not in ACTIVATIONS:
        raise SystemExit(f"activation {name!r} is not one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]


def additive_mask(attention_mask, dtype=torch.float32):
    """[B, S] 1/0 -> [B, 1, 1, S]: 0 where a key may be attended, the dtype's minimum where not
    (transformers' extended attention mask)."""
    m = attention_mask[:, None, None, :].to(dtype)
    return (1.0 - m) * torch.finfo(dtype).min


def split_heads(x, heads):
    b, s, h = x.shape
    return x.view(b, s, heads, h // heads).transpose(1, 2)


def merge_heads(x):
    b, n, s, d = x.shape
    return x.transpose(1, 2).reshape(b, s, n * d)


def attend(q, k, v, mask, dropout):
    """softmax(q k^T / sqrt(d) + mask) v, eager, with dropout on the probabilities."""
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    probs = torch.softmax(scores + mask, dim=-1)
    return torch.matmul(dropout(probs), v)
