"""PyTorch peer for the SentinelNet training benchmark: the CNN+BiLSTM of colab/sentinelnet_colab.py
(the model edgelab's ONNX deployment notebook loads), full or debug size, Adam lr 5e-4, same batch
and thread count, synthetic flows. Prints one JSON object (flows/s over the timed steps, after
warm-up). Usage: torch_sentinelnet.py BATCH STEPS THREADS [full|debug] [WARMUP_SECONDS]"""
import os, sys

import torch
from torch_timing import report_training

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "colab"))
from sentinelnet_colab import DEBUG, FULL, LABELS, SentinelNet  # noqa: E402

batch, steps, threads = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
size = sys.argv[4] if len(sys.argv) > 4 else "full"
warmup_seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
torch.set_num_threads(threads)
torch.set_num_interop_threads(1)
torch.manual_seed(0)
features = 78
model = SentinelNet(features, len(LABELS), **(FULL if size == "full" else DEBUG))
report_training(model, torch.rand(batch, features), torch.randint(0, len(LABELS), (batch,)), steps, warmup_seconds)
