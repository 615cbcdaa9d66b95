"""Seed 001's training-cost protocol in PyTorch: seconds per batch of a fresh torchvision model.

    python3 torch_vision_batches.py NAME MODE SIZE BATCH BATCHES THREADS

NAME is torchvision's builder with arguments, e.g. "mobilenet_v2(width_mult=0.5)"; MODE is train
or finetune (every parameter frozen except the classifier head; MobileNetV3: its whole
classifier, the 1×1 conv head included). Random images and labels, SGD lr 0.1, cross-entropy, a
timer around BATCHES consecutive batches, no warm-up. Prints one JSON object.
"""
import json
import resource
import sys
import time

import torch
import torchvision

name, mode, size, batch, batches, threads = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:7])
torch.set_num_threads(threads)
torch.manual_seed(0)
builder, _, args = name.partition("(")
kwargs = eval("dict(" + args.rstrip(")") + ")") if args else {}
model = getattr(torchvision.models, builder)(weights=None, **kwargs)
heads = {"resnet18": ["fc"], "shufflenet_v2_x0_5": ["fc"], "squeezenet1_1": ["classifier.1"],
         "mobilenet_v3_small": ["classifier.0", "classifier.3"], "mobilenet_v3_large": ["classifier.0", "classifier.3"]}
head = heads.get(builder, ["classifier.1"])
if mode == "finetune":
    for key, parameter in model.named_parameters():
        parameter.requires_grad = any(key.startswith(h + ".") for h in head)
trainable = [p for p in model.parameters() if p.requires_grad]
optimizer = torch.optim.SGD(trainable, lr=0.1)
loss_fn = torch.nn.CrossEntropyLoss()
model.train()
x = torch.rand(batches, batch, 3, size, size)
y = torch.randint(0, 1000, (batches, batch))
times = []
start = time.perf_counter()
for i in range(batches):
    t0 = time.perf_counter()
    optimizer.zero_grad()
    loss_fn(model(x[i]), y[i]).backward()
    optimizer.step()
    times.append(time.perf_counter() - t0)
total = time.perf_counter() - start
print(json.dumps({"name": f"pytorch {torch.__version__}", "secondsPerBatch": total / batches,
                  "firstBatchSeconds": times[0], "trainableParameters": sum(p.numel() for p in trainable),
                  "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
