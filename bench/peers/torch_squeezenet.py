"""PyTorch peer for the SqueezeNet training benchmark: SqueezeNet v1.1 adapted to 32x32 exactly as
lib/models/squeezenet.ts builds it, Adam lr 5e-4, same batch and thread count, synthetic data.
Prints one JSON object (img/s over the timed steps, after warm-up).
Usage: torch_squeezenet.py BATCH STEPS THREADS [WARMUP_SECONDS]"""
import sys

import torch
import torch.nn as nn
from torch_timing import report_training

batch, steps, threads = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
warmup_seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
torch.set_num_threads(threads)
torch.set_num_interop_threads(1)
torch.manual_seed(0)

class Fire(nn.Module):
    def __init__(self, cin, s, e):
        super().__init__()
        self.squeeze = nn.Sequential(nn.Conv2d(cin, s, 1), nn.ReLU(inplace=True))
        self.e1 = nn.Sequential(nn.Conv2d(s, e, 1), nn.ReLU(inplace=True))
        self.e3 = nn.Sequential(nn.Conv2d(s, e, 3, padding=1), nn.ReLU(inplace=True))
    def forward(self, x):
        x = self.squeeze(x)
        return torch.cat([self.e1(x), self.e3(x)], 1)

model = nn.Sequential(
    nn.Conv2d(3, 64, 3, stride=2, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
    Fire(64, 16, 64), Fire(128, 16, 64), nn.MaxPool2d(3, 2),
    Fire(128, 32, 128), Fire(256, 32, 128), nn.MaxPool2d(3, 2),
    Fire(256, 48, 192), Fire(384, 48, 192), Fire(384, 64, 256), Fire(512, 64, 256),
    nn.Dropout(0.5), nn.Conv2d(512, 10, 1), nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d(1), nn.Flatten())
report_training(model, torch.rand(batch, 3, 32, 32), torch.randint(0, 10, (batch,)), steps, warmup_seconds)
