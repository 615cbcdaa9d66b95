"""Shared timing loop of the PyTorch training peers: Adam (lr 5e-4), cross-entropy, warm-up steps (at
least 3, and at least `warmup_seconds` of them), then `steps` timed steps on one fixed batch; prints
the JSON object edgelab's bench reads."""
import json, resource, time

import torch
import torch.nn as nn


def report_training(model, x, y, steps, warmup_seconds=0.0, warmup=3, lr=5e-4):
    """Trains `model` on (x, y): warm-up steps, then `steps` timed ones; prints samples/s over those."""
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    start, warm = time.perf_counter(), 0
    while warm < warmup or time.perf_counter() - start < warmup_seconds:
        step()
        warm += 1
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = time.perf_counter() - t0
    print(json.dumps({"name": f"pytorch {torch.__version__}", "imgPerSec": len(y) * steps / seconds,
                      "warmupSteps": warm, "warmupSeconds": t0 - start,
                      "parameters": sum(p.numel() for p in model.parameters()),
                      "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
