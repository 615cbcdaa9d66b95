"""Exports torchvision's MobileNetV2 (224x224, random weights: latency does not depend on them) to
ONNX for the deployment latency benchmark: python3 export_mobilenet_v2.py OUT.onnx"""
import json, sys

import torch
import torchvision

out = sys.argv[1]
torch.manual_seed(0)
model = torchvision.models.mobilenet_v2(weights=None).eval()
torch.onnx.export(model, torch.zeros(1, 3, 224, 224), out, input_names=["image"], output_names=["logits"],
                  dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13)
print(json.dumps({"out": out, "name": f"torchvision {torchvision.__version__} mobilenet_v2", "parameters": sum(p.numel() for p in model.parameters())}))
