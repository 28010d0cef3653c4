"""The safetensors format, read and written with torch alone (Debian's torch has no `safetensors`).

A file is: the header length as a little-endian u64, a JSON header {name: {dtype, shape,
data_offsets: [begin, end]}, "__metadata__"?: {str: str}} padded with spaces to 8 bytes, then the
tensors' bytes back to back (offsets are relative to the end of the header).
"""
import json
import struct

import torch

_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64}
_NAMES = {v: k for k, v in _DTYPES.items()}


def load(path):
    """{name: tensor}, float tensors widened to float32."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    body = memoryview(data)[8 + n :]
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        if meta["dtype"] not in _DTYPES:
            raise SystemExit(f"{path}: tensor {name} has dtype {meta['dtype']}; this reader takes {sorted(_DTYPES)}")
        begin, end = meta["data_offsets"]
        t = torch.frombuffer(bytearray(body[begin:end]), dtype=_DTYPES[meta["dtype"]]).reshape(meta["shape"])
        out[name] = t.float() if t.is_floating_point() else t
    return out


def save(path, tensors):
    """Writes {name: tensor} (float32 or int64), names in sorted order, as safetensors."""
    header, chunks, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        if t.dtype not in _NAMES:
            raise ValueError(f"{name}: dtype {t.dtype} cannot be written")
        raw = t.numpy().tobytes()
        header[name] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)
