"""PyTorch peer for the SentinelNet training benchmark: the CNN+BiLSTM of colab/sentinelnet_colab.py
(the model edgelab's ONNX deployment notebook loads), full or debug size, Adam lr 5e-4, same batch
and thread count, synthetic flows. Prints one JSON object (flows/s over the timed steps, after
warm-up). Usage: torch_sentinelnet.py BATCH STEPS THREADS [full|debug]"""
import json, os, resource, sys, time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "colab"))
from sentinelnet_colab import DEBUG, FULL, LABELS, SentinelNet  # noqa: E402

batch, steps, threads = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
size = sys.argv[4] if len(sys.argv) > 4 else "full"
torch.set_num_threads(threads)
torch.set_num_interop_threads(1)
torch.manual_seed(0)
features = 78
model = SentinelNet(features, len(LABELS), **(FULL if size == "full" else DEBUG))
model.train()
params = sum(p.numel() for p in model.parameters())
opt = torch.optim.Adam(model.parameters(), lr=5e-4)
loss_fn = nn.CrossEntropyLoss()
x = torch.rand(batch, features)
y = torch.randint(0, len(LABELS), (batch,))
warmup = 3
for i in range(warmup + steps):
    if i == warmup:
        t0 = time.perf_counter()
    opt.zero_grad()
    loss_fn(model(x), y).backward()
    opt.step()
seconds = time.perf_counter() - t0
print(json.dumps({"name": f"pytorch {torch.__version__}", "imgPerSec": batch * steps / seconds, "parameters": params,
                  "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
