# torch's own losses for test/models/loss.test.ts: reads cases from the JSON file argv[1], prints each loss
# and d loss / d logits (float64).
import json, sys
import torch
import torch.nn.functional as F

out = []
for case in json.load(open(sys.argv[1])):
    x = torch.tensor(case["logits"], dtype=torch.float64, requires_grad=True)
    w = case.get("weights")
    if case["kind"] == "ce":
        y = torch.tensor(case["labels"], dtype=torch.long)
        loss = F.cross_entropy(x, y, weight=None if w is None else torch.tensor(w, dtype=torch.float64),
                               label_smoothing=case["smoothing"])
    else:
        y = torch.tensor(case["targets"], dtype=torch.float64)
        e = case["smoothing"]
        y = y * (1 - e) + e / 2
        loss = F.binary_cross_entropy_with_logits(
            x, y, pos_weight=None if w is None else torch.tensor(w, dtype=torch.float64))
    loss.backward()
    out.append({"loss": loss.item(), "grad": x.grad.reshape(-1).tolist()})
print(json.dumps(out))
