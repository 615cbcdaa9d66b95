"""Export seed 002's vision models from torchvision to ONNX, for edgelab's layer-split tools.

    python3 colab/export_vision_onnx.py --out DIR [--classes 10] [--size 224] [--weights random|zero]
        [--models mobilenet_v2,mobilenet_v3_small,squeezenet1_1,shufflenet_v2_x0_5,efficientnet_b0]

Each model is torchvision's architecture (PyTorch's own exporter, opset 13, dynamic batch), input
"input" [batch, 3, size, size], output "logits" [batch, classes]. Pretrained weights cannot be
downloaded offline, so weights are random (torch.manual_seed(0)).

`--weights zero` stores every weight as zeros: the file then compresses to almost nothing in git
(this is how test/fixtures/onnx/vision/ was made, with the defaults). edgelab's
`pipeline.reinitializeWeights` fills such weights with seeded He-normal values before use; cut
points, shapes, FLOPs and timings do not depend on the values.
"""
import argparse
import os

import onnx
import torch
import torchvision

SEED_002_MODELS = ["mobilenet_v2", "mobilenet_v3_small", "squeezenet1_1", "shufflenet_v2_x0_5", "efficientnet_b0"]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--weights", choices=["random", "zero"], default="random")
    p.add_argument("--models", default=",".join(SEED_002_MODELS))
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name in args.models.split(","):
        torch.manual_seed(0)
        model = getattr(torchvision.models, name)(weights=None, num_classes=args.classes).eval()
        path = os.path.join(args.out, f"{name}.onnx")
        torch.onnx.export(model, torch.randn(1, 3, args.size, args.size), path, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13)
        proto = onnx.load(path)
        if args.weights == "zero":
            for t in proto.graph.initializer:
                if t.data_type == onnx.TensorProto.FLOAT and len(t.dims) >= 1 and t.raw_data:
                    t.raw_data = bytes(len(t.raw_data))
        proto.metadata_props.add(key="edgelab.producer", value=f"colab/export_vision_onnx.py, torch {torch.__version__}, torchvision {torchvision.__version__}, weights {args.weights}")
        onnx.save(proto, path)
        params = sum(p.numel() for p in model.parameters())
        print(f"{path}: {params} parameters, {os.path.getsize(path) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
