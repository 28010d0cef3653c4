"""ModernBertForSequenceClassification as in transformers' modeling_modernbert.py, the padded
(eager) path: pre-norm layers (layer 0 has no attention norm), a fused Wqkv, rotary positions
0..S-1 with a per-layer base, every n-th layer global and the others attending only to keys within
local_attention // 2 positions, a gated GELU MLP (Wi -> input, gate), norms without bias unless
norm_bias, a final norm, then cls or mean pooling -> head (dense, act, norm) -> classifier."""
import torch
from torch import nn

from layers import Norm, activation, additive_mask, attend, merge_heads

FULL, SLIDING = "full_attention", "sliding_attention"


def layer_types(c):
    """transformers 5's layer_types when present, else 4.x's global_attn_every_n_layers."""
    if c.get("layer_types"):
        return list(c["layer_types"])
    every = c.get("global_attn_every_n_layers", 3)
    return [FULL if i % every == 0 else SLIDING for i in range(c["num_hidden_layers"])]


def rope_theta(c, kind):
    rp = (c.get("rope_parameters") or {}).get(kind) or {}
    if "rope_theta" in rp:
        return rp["rope_theta"]
    glob = c.get("global_rope_theta", 160000.0)
    if kind == FULL:
        return glob
    local = c.get("local_rope_theta", 10000.0)
    return glob if local is None else local


def rotate_half(x):
    a, b = x.chunk(2, dim=-1)
    return torch.cat((-b, a), dim=-1)


class Rotary:
    """cos/sin tables of RoPE with base `theta` for head size `dim` (the halves repeated)."""

    def __init__(self, dim, theta):
        self.inv_freq = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))

    def __call__(self, seq):
        freqs = torch.outer(torch.arange(seq).float(), self.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos(), emb.sin()


class Attention(nn.Module):
    def __init__(self, c, kind, dropout):
        super().__init__()
        h = c["hidden_size"]
        self.heads = c["num_attention_heads"]
        self.kind = kind
        bias = c.get("attention_bias", False)
        self.Wqkv = nn.Linear(h, 3 * h, bias=bias)
        self.Wo = nn.Linear(h, h, bias=bias)
        self.rotary = Rotary(h // self.heads, rope_theta(c, kind))
        self.attn_dropout = nn.Dropout(dropout)
        self.out_drop = nn.Dropout(dropout)

    def forward(self, x, masks):
        b, s, h = x.shape
        q, k, v = self.Wqkv(x).view(b, s, 3, self.heads, h // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        cos, sin = self.rotary(s)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        return self.out_drop(self.Wo(merge_heads(attend(q, k, v, masks[self.kind], self.attn_dropout))))


class MLP(nn.Module):
    def __init__(self, c, dropout):
        super().__init__()
        bias = c.get("mlp_bias", False)
        self.Wi = nn.Linear(c["hidden_size"], 2 * c["intermediate_size"], bias=bias)
        self.Wo = nn.Linear(c["intermediate_size"], c["hidden_size"], bias=bias)
        self.act = activation(c.get("hidden_activation", "gelu"))
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        inp, gate = self.Wi(x).chunk(2, dim=-1)
        return self.Wo(self.drop(self.act(inp) * gate))


def norm(c):
    return Norm(c["hidden_size"], c.get("norm_eps", 1e-5), bias=c.get("norm_bias", False))


class Layer(nn.Module):
    def __init__(self, c, i, kind, dropout):
        super().__init__()
        self.attn_norm = norm(c) if i > 0 else nn.Identity()
        self.attn = Attention(c, kind, dropout)
        self.mlp_norm = norm(c)
        self.mlp = MLP(c, dropout)

    def forward(self, x, masks):
        x = x + self.attn(self.attn_norm(x), masks)
        return x + self.mlp(self.mlp_norm(x))


class Embeddings(nn.Module):
    def __init__(self, c, dropout):
        super().__init__()
        self.tok_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"], padding_idx=c.get("pad_token_id", 50283))
        self.norm = norm(c)
        self.drop = nn.Dropout(dropout)

    def forward(self, ids):
        return self.drop(self.norm(self.tok_embeddings(ids)))


class Base(nn.Module):
    def __init__(self, c, dropout):
        super().__init__()
        self.window = c.get("local_attention", 128) // 2
        self.embeddings = Embeddings(c, dropout)
        self.layers = nn.ModuleList(Layer(c, i, kind, dropout) for i, kind in enumerate(layer_types(c)))
        self.final_norm = norm(c)

    def forward(self, ids, mask):
        full = additive_mask(mask)
        pos = torch.arange(ids.shape[1])
        far = (pos[:, None] - pos[None, :]).abs() > self.window
        masks = {FULL: full, SLIDING: full.masked_fill(far, torch.finfo(full.dtype).min)}
        x = self.embeddings(ids)
        for layer in self.layers:
            x = layer(x, masks)
        return self.final_norm(x)


class Head(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"], bias=c.get("classifier_bias", False))
        self.act = activation(c.get("classifier_activation", "gelu"))
        self.norm = norm(c)

    def forward(self, x):
        return self.norm(self.act(self.dense(x)))


class ModernBertForSequenceClassification(nn.Module):
    uses_token_types = False

    def __init__(self, c, num_labels, dropout=0.0):
        super().__init__()
        self.pooling = c.get("classifier_pooling", "cls")
        self.model = Base(c, dropout)
        self.head = Head(c)
        self.drop = nn.Dropout(dropout)
        self.classifier = nn.Linear(c["hidden_size"], num_labels)

    def forward(self, ids, mask, types=None):
        h = self.model(ids, mask)
        if self.pooling == "cls":
            pooled = h[:, 0]
        else:
            m = mask.unsqueeze(-1).to(h.dtype)
            pooled = (h * m).sum(dim=1) / m.sum(dim=1)
        return self.classifier(self.drop(self.head(pooled)))
