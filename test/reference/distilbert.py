"""DistilBertForSequenceClassification as in transformers' modeling_distilbert.py: learned
positions (sinusoidal tables are refused), post-norm layers with q_lin/k_lin/v_lin/out_lin,
LayerNorm eps 1e-12, and a head of pre_classifier -> ReLU -> dropout -> classifier on the first
token."""
import torch
from torch import nn

from layers import Norm, activation, additive_mask, attend, merge_heads, split_heads

EPS = 1e-12


class Embeddings(nn.Module):
    def __init__(self, c, dropout):
        super().__init__()
        if c.get("sinusoidal_pos_embds"):
            raise SystemExit("config.json: sinusoidal_pos_embds is not supported by this reference")
        d = c["dim"]
        self.word_embeddings = nn.Embedding(c["vocab_size"], d, padding_idx=c.get("pad_token_id", 0))
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], d)
        self.LayerNorm = Norm(d, EPS)
        self.dropout = nn.Dropout(dropout)

    def forward(self, ids):
        pos = torch.arange(ids.shape[1]).expand_as(ids)
        return self.dropout(self.LayerNorm(self.word_embeddings(ids) + self.position_embeddings(pos)))


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, c, dropout):
        super().__init__()
        d = c["dim"]
        self.heads = c["n_heads"]
        self.q_lin, self.k_lin, self.v_lin, self.out_lin = (nn.Linear(d, d) for _ in range(4))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, mask):
        q, k, v = (split_heads(f(x), self.heads) for f in (self.q_lin, self.k_lin, self.v_lin))
        return self.out_lin(merge_heads(attend(q, k, v, mask, self.dropout)))


class FFN(nn.Module):
    def __init__(self, c, dropout):
        super().__init__()
        self.lin1 = nn.Linear(c["dim"], c["hidden_dim"])
        self.lin2 = nn.Linear(c["hidden_dim"], c["dim"])
        self.act = activation(c.get("activation", "gelu"))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.dropout(self.lin2(self.act(self.lin1(x))))


class TransformerBlock(nn.Module):
    def __init__(self, c, dropout):
        super().__init__()
        self.attention = MultiHeadSelfAttention(c, dropout)
        self.sa_layer_norm = Norm(c["dim"], EPS)
        self.ffn = FFN(c, dropout)
        self.output_layer_norm = Norm(c["dim"], EPS)

    def forward(self, x, mask):
        a = self.sa_layer_norm(self.attention(x, mask) + x)
        return self.output_layer_norm(self.ffn(a) + a)


class Transformer(nn.Module):
    def __init__(self, c, dropout):
        super().__init__()
        self.layer = nn.ModuleList(TransformerBlock(c, dropout) for _ in range(c["n_layers"]))

    def forward(self, x, mask):
        for layer in self.layer:
            x = layer(x, mask)
        return x


class Base(nn.Module):
    def __init__(self, c, dropout):
        super().__init__()
        self.embeddings = Embeddings(c, dropout)
        self.transformer = Transformer(c, dropout)

    def forward(self, ids, mask):
        return self.transformer(self.embeddings(ids), additive_mask(mask))


class DistilBertForSequenceClassification(nn.Module):
    uses_token_types = False

    def __init__(self, c, num_labels, dropout=0.0):
        super().__init__()
        self.distilbert = Base(c, dropout)
        self.pre_classifier = nn.Linear(c["dim"], c["dim"])
        self.classifier = nn.Linear(c["dim"], num_labels)
        self.dropout = nn.Dropout(dropout)

    def forward(self, ids, mask, types=None):
        h = self.distilbert(ids, mask)[:, 0]
        return self.classifier(self.dropout(torch.relu(self.pre_classifier(h))))
