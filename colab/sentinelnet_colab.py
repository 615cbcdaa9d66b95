"""SentinelNet (CNN + BiLSTM) for CICIDS2017 in PyTorch: train on Colab, export ONNX for edgelab.

The architecture is exactly lib/models/sentinelnet.ts (same layers, sizes and defaults), so a model
trained here and one trained in edgelab are interchangeable. The exported ONNX file carries the
preprocessing in its metadata_props, which edgelab's deploy library reads and applies:

    edgelab.model          "sentinelnet"
    edgelab.config         JSON: features, classes, convFilters, kernelSize, lstmUnits, denseUnits, dropout
    edgelab.feature_names  JSON array (78 CICIDS2017 feature names)
    edgelab.feature_means  JSON array, fitted on the training rows only
    edgelab.feature_stds   JSON array (zero spread -> 1)
    edgelab.labels         JSON array of class names in output order
    edgelab.producer       this script and the PyTorch version

Input "features" [batch, 78] float32 (raw flow features); output "logits" [batch, classes].

On Colab:
    !pip install onnx
    !python sentinelnet_colab.py --data /content/MachineLearningCVE --epochs 10 --out sentinelnet.onnx
then copy sentinelnet.onnx to the Pi and run `npx edgelab bench onnx sentinelnet.onnx`.

`--synthetic N` trains on N random flows instead (used to make edgelab's test fixture; the result is
labelled synthetic in the metadata). `--reference-out PREFIX` also writes PREFIX.inputs.npy
(8 raw flows) and PREFIX.logits.npy (PyTorch's outputs) for parity checks.
"""
import argparse
import glob
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn

LABELS = ["BENIGN", "DoS Hulk", "PortScan", "DDoS", "DoS GoldenEye", "FTP-Patator", "SSH-Patator", "DoS slowloris",
          "DoS Slowhttptest", "Bot", "Web Attack \u2013 Brute Force", "Web Attack \u2013 XSS", "Infiltration",
          "Web Attack \u2013 Sql Injection", "Heartbleed"]
FULL = dict(convFilters=[64, 128], kernelSize=3, lstmUnits=512, denseUnits=256, dropout=0.3)
DEBUG = dict(convFilters=[16, 32], kernelSize=3, lstmUnits=32, denseUnits=64, dropout=0.3)


class SentinelNet(nn.Module):
    """Reshape to a 1-channel sequence -> Conv1d+ReLU x2 ('same') -> MaxPool(2) -> BiLSTM (last states,
    concatenated forward|backward, as Keras' Bidirectional(LSTM) with mergeMode concat) -> Dropout ->
    Dense+ReLU -> Dropout -> Dense (logits)."""

    def __init__(self, features, classes, convFilters, kernelSize, lstmUnits, denseUnits, dropout):
        super().__init__()
        pad = kernelSize // 2
        self.conv1 = nn.Conv1d(1, convFilters[0], kernelSize, padding=pad)
        self.conv2 = nn.Conv1d(convFilters[0], convFilters[1], kernelSize, padding=pad)
        self.pool = nn.MaxPool1d(2)
        self.bilstm = nn.LSTM(convFilters[1], lstmUnits, batch_first=True, bidirectional=True)
        self.drop = nn.Dropout(dropout)
        self.dense = nn.Linear(2 * lstmUnits, denseUnits)
        self.logits = nn.Linear(denseUnits, classes)
        self.units = lstmUnits

    def forward(self, x):
        x = x.unsqueeze(1)                       # [B, 1, F]
        x = torch.relu(self.conv1(x))
        x = torch.relu(self.conv2(x))
        x = self.pool(x).transpose(1, 2)         # [B, F/2, C]
        _, (h, _) = self.bilstm(x)               # h: [2, B, U] (forward final, backward final)
        x = torch.cat([h[0], h[1]], dim=1)
        x = self.drop(x)
        x = self.drop(torch.relu(self.dense(x)))
        return self.logits(x)


def load_cicids(folder):
    """The 8 MachineLearningCVE CSVs, cleaned as edgelab cleans them (non-finite rows and exact
    duplicates dropped)."""
    import pandas as pd
    files = sorted(glob.glob(os.path.join(folder, "*.csv")))
    if not files:
        sys.exit(f"{folder}: no CSV files (expected the CICIDS2017 MachineLearningCVE folder)")
    frames = [pd.read_csv(f, encoding="latin-1", low_memory=False) for f in files]
    df = pd.concat(frames, ignore_index=True)
    df.columns = [c.strip() for c in df.columns]
    label = df.pop("Label").astype(str).str.replace("\x96", "\u2013").str.replace("\ufffd", "\u2013").str.strip()
    x = df.apply(pd.to_numeric, errors="coerce").replace([np.inf, -np.inf], np.nan)
    keep = x.notna().all(axis=1)
    x, label = x[keep], label[keep]
    dup = pd.concat([x, label], axis=1).duplicated()
    x, label = x[~dup], label[~dup]
    y = label.map({name: i for i, name in enumerate(LABELS)})
    if y.isna().any():
        sys.exit(f"{folder}: unknown labels {sorted(set(label[y.isna()]))}")
    return x.to_numpy(np.float32), y.to_numpy(np.int64), list(x.columns), False


def synthetic(n, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, len(LABELS), n)
    x = rng.normal(size=(n, 78)).astype(np.float32) * 10 + y[:, None].astype(np.float32)
    return x, y, [f"feature_{i}" for i in range(78)], True


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", help="folder with the CICIDS2017 MachineLearningCVE CSVs")
    p.add_argument("--synthetic", type=int, help="train on N synthetic flows instead")
    p.add_argument("--size", choices=["full", "debug"], default="full")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--opset", type=int, default=14)
    p.add_argument("--out", required=True)
    p.add_argument("--reference-out", help="also write PREFIX.inputs.npy and PREFIX.logits.npy (PyTorch outputs) for parity tests")
    a = p.parse_args()
    if bool(a.data) == bool(a.synthetic):
        sys.exit("give exactly one of --data DIR or --synthetic N")
    torch.manual_seed(a.seed)
    x, y, names, is_synthetic = load_cicids(a.data) if a.data else synthetic(a.synthetic, a.seed)
    mean = x.mean(axis=0, dtype=np.float64)
    std = x.std(axis=0, dtype=np.float64)
    std = np.where((std > 1e-12) & np.isfinite(std), std, 1.0)
    xs = ((x - mean) / std).astype(np.float32)
    config = dict(features=x.shape[1], classes=len(LABELS), **(FULL if a.size == "full" else DEBUG))
    model = SentinelNet(**config)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    loss_fn = nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(xs), torch.from_numpy(y)
    for epoch in range(a.epochs):
        model.train()
        order = torch.randperm(len(yt))
        total = 0.0
        for i in range(0, len(order), a.batch):
            idx = order[i:i + a.batch]
            opt.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        print(f"epoch {epoch + 1}/{a.epochs}: loss {total / len(yt):.4f}", file=sys.stderr)
    model.eval()

    # The exported graph takes raw features: standardisation is metadata, applied by edgelab.
    dummy = torch.zeros(1, x.shape[1])
    torch.onnx.export(model, dummy, a.out, input_names=["features"], output_names=["logits"],
                      dynamic_axes={"features": {0: "batch"}, "logits": {0: "batch"}}, opset_version=a.opset)
    import onnx
    m = onnx.load(a.out)
    meta = {
        "edgelab.model": "sentinelnet",
        "edgelab.config": json.dumps(config),
        "edgelab.feature_names": json.dumps(names),
        "edgelab.feature_means": json.dumps([float(v) for v in mean]),
        "edgelab.feature_stds": json.dumps([float(v) for v in std]),
        "edgelab.labels": json.dumps(LABELS, ensure_ascii=False),
        "edgelab.synthetic": "true" if is_synthetic else "false",
        "edgelab.producer": f"colab/sentinelnet_colab.py (PyTorch {torch.__version__})",
    }
    for k, v in meta.items():
        entry = m.metadata_props.add()
        entry.key, entry.value = k, v
    onnx.save(m, a.out)
    if a.reference_out:
        raw = x[:8]
        with torch.no_grad():
            out = model(torch.from_numpy(((raw - mean) / std).astype(np.float32))).numpy()
        np.save(a.reference_out + ".inputs.npy", raw)
        np.save(a.reference_out + ".logits.npy", out)
    print(json.dumps({"out": a.out, "params": sum(p.numel() for p in model.parameters()), "synthetic": is_synthetic}))


if __name__ == "__main__":
    main()
