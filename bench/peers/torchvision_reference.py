"""A torchvision model's weights, an input and its eval-mode output, for edgelab's parity test.

    python3 torchvision_reference.py NAME SIZE CLASSES BATCH OUT.npz

NAME is torchvision's builder with optional arguments, e.g. "mobilenet_v2(width_mult=0.5)". The
model is built fresh (seed 0); batch-norm weights and running statistics are then drawn at random
so that eval mode exercises every term. OUT.npz holds every state-dict entry under its own key,
plus "__input__" (NCHW) and "__output__" (logits). Prints one JSON object.
"""
import json
import sys

import numpy as np
import torch
import torchvision

name, size, classes, batch, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
torch.manual_seed(0)
builder, _, args = name.partition("(")
kwargs = eval("dict(" + args.rstrip(")") + ")") if args else {}
model = getattr(torchvision.models, builder)(weights=None, num_classes=classes, **kwargs)
generator = torch.Generator().manual_seed(1)
with torch.no_grad():
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.weight.copy_(torch.rand(module.weight.shape, generator=generator) + 0.5)
            module.bias.copy_(torch.randn(module.bias.shape, generator=generator) * 0.1)
            module.running_mean.copy_(torch.randn(module.running_mean.shape, generator=generator) * 0.1)
            module.running_var.copy_(torch.rand(module.running_var.shape, generator=generator) + 0.5)
model.eval()
x = torch.rand(batch, 3, size, size, generator=generator)
with torch.no_grad():
    y = model(x)
arrays = {k: v.detach().numpy().astype(np.float32) for k, v in model.state_dict().items() if v.dtype.is_floating_point}
arrays["__input__"] = x.numpy()
arrays["__output__"] = y.numpy()
np.savez(out, **arrays)
print(json.dumps({"torch": torch.__version__, "torchvision": torchvision.__version__,
                  "parameters": sum(p.numel() for p in model.parameters()), "outputAbsMax": float(y.abs().max())}))
