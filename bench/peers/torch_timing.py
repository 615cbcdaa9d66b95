"""Shared timing loop of the PyTorch training peers: Adam (lr 5e-4), cross-entropy, 3 warm-up steps,
then `steps` timed steps on one fixed batch; prints the JSON object edgelab's bench reads."""
import json, resource, time

import torch
import torch.nn as nn


def report_training(model, x, y, steps, warmup=3, lr=5e-4):
    """Trains `model` on (x, y) for warmup + steps steps and prints samples/s over the timed ones."""
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    for i in range(warmup + steps):
        if i == warmup:
            t0 = time.perf_counter()
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    seconds = time.perf_counter() - t0
    print(json.dumps({"name": f"pytorch {torch.__version__}", "imgPerSec": len(y) * steps / seconds,
                      "parameters": sum(p.numel() for p in model.parameters()),
                      "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
