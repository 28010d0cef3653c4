"""BertForSequenceClassification and RobertaForSequenceClassification (XLM-RoBERTa runs the same
code in transformers), as in transformers' modeling_bert.py / modeling_roberta.py: post-norm
encoder layers, eager attention, module names equal to the checkpoint keys.

RoBERTa differs from BERT in three places: position ids count the non-pad tokens from pad + 1
(from input_ids, not the attention mask), the position table has a padding row, and the head is
dense -> tanh -> out_proj on the first token instead of the pooler + a linear classifier."""
import torch
from torch import nn

from layers import Norm, activation, additive_mask, attend, merge_heads, split_heads


class Embeddings(nn.Module):
    def __init__(self, c, dropout, roberta):
        super().__init__()
        h, pad = c["hidden_size"], c.get("pad_token_id", 0)
        self.pad, self.roberta = pad, roberta
        self.word_embeddings = nn.Embedding(c["vocab_size"], h, padding_idx=pad)
        # RoBERTa's position table has a padding row too (its position id is the pad id).
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], h, padding_idx=pad if roberta else None)
        self.token_type_embeddings = nn.Embedding(c.get("type_vocab_size", 2), h)
        self.LayerNorm = Norm(h, c.get("layer_norm_eps", 1e-12))
        self.dropout = nn.Dropout(dropout)

    def positions(self, ids):
        if not self.roberta:
            return torch.arange(ids.shape[1]).expand_as(ids)
        real = (ids != self.pad).long()
        return torch.cumsum(real, dim=1) * real + self.pad

    def forward(self, ids, types):
        x = self.word_embeddings(ids) + self.position_embeddings(self.positions(ids))
        x = x + self.token_type_embeddings(types)
        return self.dropout(self.LayerNorm(x))


class SelfAttention(nn.Module):
    def __init__(self, c, dropout):
        super().__init__()
        h = c["hidden_size"]
        self.heads = c["num_attention_heads"]
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, mask):
        q, k, v = (split_heads(f(x), self.heads) for f in (self.query, self.key, self.value))
        return merge_heads(attend(q, k, v, mask, self.dropout))


class DenseAddNorm(nn.Module):
    """BertSelfOutput / BertOutput: LayerNorm(dropout(dense(x)) + residual)."""

    def __init__(self, c, d_in, dropout):
        super().__init__()
        self.dense = nn.Linear(d_in, c["hidden_size"])
        self.dropout = nn.Dropout(dropout)
        self.LayerNorm = Norm(c["hidden_size"], c.get("layer_norm_eps", 1e-12))

    def forward(self, x, residual):
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


class Attention(nn.Module):
    def __init__(self, c, dropout):
        super().__init__()
        self.self = SelfAttention(c, dropout)
        self.output = DenseAddNorm(c, c["hidden_size"], dropout)

    def forward(self, x, mask):
        return self.output(self.self(x, mask), x)


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])
        self.act = activation(c.get("hidden_act", "gelu"))

    def forward(self, x):
        return self.act(self.dense(x))


class Layer(nn.Module):
    def __init__(self, c, dropout):
        super().__init__()
        self.attention = Attention(c, dropout)
        self.intermediate = Intermediate(c)
        self.output = DenseAddNorm(c, c["intermediate_size"], dropout)

    def forward(self, x, mask):
        a = self.attention(x, mask)
        return self.output(self.intermediate(a), a)


class Encoder(nn.Module):
    def __init__(self, c, dropout):
        super().__init__()
        self.layer = nn.ModuleList(Layer(c, dropout) for _ in range(c["num_hidden_layers"]))

    def forward(self, x, mask):
        for layer in self.layer:
            x = layer(x, mask)
        return x


class Pooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])

    def forward(self, x):
        return torch.tanh(self.dense(x[:, 0]))


class Base(nn.Module):
    """BertModel / RobertaModel (RobertaForSequenceClassification builds it without the pooler)."""

    def __init__(self, c, dropout, roberta):
        super().__init__()
        self.embeddings = Embeddings(c, dropout, roberta)
        self.encoder = Encoder(c, dropout)
        if not roberta:
            self.pooler = Pooler(c)

    def forward(self, ids, mask, types):
        return self.encoder(self.embeddings(ids, types), additive_mask(mask))


class BertForSequenceClassification(nn.Module):
    uses_token_types = True

    def __init__(self, c, num_labels, dropout=0.0):
        super().__init__()
        self.bert = Base(c, dropout, roberta=False)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(c["hidden_size"], num_labels)

    def forward(self, ids, mask, types):
        return self.classifier(self.dropout(self.bert.pooler(self.bert(ids, mask, types))))


class RobertaClassificationHead(nn.Module):
    def __init__(self, c, num_labels, dropout):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.dropout = nn.Dropout(dropout)
        self.out_proj = nn.Linear(c["hidden_size"], num_labels)

    def forward(self, x):
        x = self.dropout(x[:, 0])
        return self.out_proj(self.dropout(torch.tanh(self.dense(x))))


class RobertaForSequenceClassification(nn.Module):
    uses_token_types = True

    def __init__(self, c, num_labels, dropout=0.0):
        super().__init__()
        self.roberta = Base(c, dropout, roberta=True)
        self.classifier = RobertaClassificationHead(c, num_labels, dropout)

    def forward(self, ids, mask, types):
        return self.classifier(self.roberta(ids, mask, types))
