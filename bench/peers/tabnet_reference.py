"""pytorch-tabnet as edgelab's TabNet reference, run from its source (dreamquark-ai/tabnet) on
Debian's PyTorch. The source folder (the one holding `pytorch_tabnet/`) is EDGELAB_TABNET_SRC.

  tabnet_reference.py golden OUT.json [SEED]
      Small golden vectors, computed in float64 (see golden()): a randomised network (weights, batch-norm statistics), two batches,
      eval- and train-mode logits, the mask-entropy term, the loss, every gradient, and the state
      after each of two steps of clip_grad_norm_(1) + Adam, as pytorch-tabnet's _train_batch does.
  tabnet_reference.py fit X_TRAIN.npy Y_TRAIN.npy X_TEST.npy Y_TEST.npy EPOCHS SEED THREADS
      TabNetClassifier with the seed's config (n_d = n_a = 8, 3 steps, gamma 1.3, Adam 2e-2,
      batch 1024, virtual batch 128), no early stopping; prints accuracy, macro-F1 and timing.
"""
import json
import os
import sys
import time

import numpy as np
import torch

source = os.environ.get("EDGELAB_TABNET_SRC")
if not source or not os.path.isdir(os.path.join(source, "pytorch_tabnet")):
    sys.exit("tabnet_reference.py: set EDGELAB_TABNET_SRC to a folder holding pytorch_tabnet/ (dreamquark-ai/tabnet)")
sys.path.insert(0, source)

from pytorch_tabnet.tab_network import TabNet  # noqa: E402


def version():
    try:
        with open(os.path.join(source, "pytorch_tabnet", "..", "pyproject.toml")) as f:
            for line in f:
                if line.startswith("version"):
                    return line.split("=")[1].strip().strip('"')
    except OSError:
        pass
    return os.environ.get("EDGELAB_TABNET_VERSION", "unknown")


def flat(t):
    # nine significant digits round-trip float32 and keep the file small
    return [float(f"{v:.9g}") for v in t.detach().reshape(-1).tolist()]


def state(net):
    out = {name: flat(p) for name, p in net.named_parameters()}
    out.update({name: flat(b) for name, b in net.named_buffers() if not name.endswith("num_batches_tracked") and "running" in name})
    return out


def reference_run(seed, dtype, lambda_sparse=0.01, lr=0.02, clip=1.0):
    """The golden case for `seed`, computed in `dtype` (weights and inputs always drawn in float32)."""
    cfg = dict(features=6, classes=3, n_d=3, n_a=2, n_steps=3, gamma=1.3, n_independent=2, n_shared=2, virtual_batch_size=4, momentum=0.02, epsilon=1e-15)
    torch.manual_seed(int(seed))
    net = TabNet(input_dim=cfg["features"], output_dim=cfg["classes"], n_d=cfg["n_d"], n_a=cfg["n_a"], n_steps=cfg["n_steps"], gamma=cfg["gamma"],
                 n_independent=cfg["n_independent"], n_shared=cfg["n_shared"], virtual_batch_size=cfg["virtual_batch_size"], momentum=cfg["momentum"],
                 epsilon=cfg["epsilon"], group_attention_matrix=torch.eye(cfg["features"]))
    with torch.no_grad():  # batch norms away from their identity initialisation, so a mix-up shows
        for name, t in list(net.named_parameters()) + list(net.named_buffers()):
            if name.endswith("bn.weight"):
                t.copy_(1 + 0.2 * torch.randn_like(t))
            elif name.endswith("bn.bias"):
                t.copy_(0.2 * torch.randn_like(t))
            elif name.endswith("running_mean"):
                t.copy_(0.3 * torch.randn_like(t))
            elif name.endswith("running_var"):
                t.copy_(0.5 + torch.rand_like(t))
    # 9 rows in virtual batches of 4: torch.chunk gives 3 × 3 (not 4 + 4 + 1); 10 rows give 4 + 4 + 2
    batches = [(torch.randn(9, cfg["features"]) * 1.5, torch.randint(0, cfg["classes"], (9,))),
               (torch.randn(10, cfg["features"]), torch.randint(0, cfg["classes"], (10,)))]
    net = net.to(dtype)
    net.tabnet.encoder.group_attention_matrix = net.tabnet.encoder.group_attention_matrix.to(dtype)
    batches = [(x.to(dtype), y) for x, y in batches]
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    record = {"seed": int(seed), "reference": f"pytorch-tabnet {version()} (torch {torch.__version__}, {str(dtype).replace('torch.', '')})", "config": cfg,
              "lambdaSparse": lambda_sparse, "learningRate": lr, "clipNorm": clip, "initial": state(net), "steps": []}
    for x, y in batches:
        net.eval()
        with torch.no_grad():
            eval_logits, eval_m = net(x)
        net.train()
        for p in net.parameters():
            p.grad = None
        logits, m_loss = net(x)
        ce = torch.nn.functional.cross_entropy(logits, y)
        loss = ce - lambda_sparse * m_loss
        loss.backward()
        grads = {name: flat(p.grad) for name, p in net.named_parameters() if p.grad is not None}
        norm = torch.nn.utils.clip_grad_norm_(net.parameters(), clip)
        optimizer.step()
        record["steps"].append({
            "x": flat(x), "y": [int(v) for v in y], "evalLogits": flat(eval_logits), "evalEntropy": -float(eval_m),
            "trainLogits": flat(logits), "entropy": -float(m_loss), "crossEntropy": float(ce), "loss": float(loss), "gradNorm": float(norm),
            "grads": grads, "after": state(net),
        })
    return record


def deviation(a, b):
    """Largest |a − b| of any gradient or updated tensor, relative to that tensor's largest |b|."""
    worst = 0.0
    for sa, sb in zip(a["steps"], b["steps"]):
        for key in ("grads", "after"):
            for name, vb in sb[key].items():
                vb, va = np.array(vb), np.array(sa[key][name])
                worst = max(worst, float(np.max(np.abs(va - vb)) / max(np.max(np.abs(vb)), 1e-12)))
    return worst


def golden(path, seed=11):
    # The golden values are the float64 maths. Some draws are ill-conditioned (a mask entry near 0
    # makes the entropy gradient log(M + ε) swing, so PyTorch's own float32 run disagrees with its
    # float64 one by 50 %): those are skipped, so that a float32 implementation can be held to the
    # same closeness PyTorch's float32 achieves. The float32 deviation is recorded.
    for candidate in range(int(seed), int(seed) + 50):
        exact, single = reference_run(candidate, torch.float64), reference_run(candidate, torch.float32)
        spread = deviation(single, exact)
        if spread < 1e-3:
            break
    else:
        sys.exit(f"tabnet_reference.py: no well-conditioned case in seeds {seed}..{int(seed) + 49}")
    exact["float32Deviation"] = spread
    with open(path, "w") as f:
        json.dump(exact, f)
    print(json.dumps({"golden": path, "seed": exact["seed"], "reference": exact["reference"], "float32Deviation": spread}))


def fit(x_train, y_train, x_test, y_test, epochs, seed, threads):
    from pytorch_tabnet.tab_model import TabNetClassifier
    from sklearn.metrics import f1_score

    torch.set_num_threads(int(threads))
    xtr, ytr, xte, yte = (np.load(p) for p in (x_train, y_train, x_test, y_test))
    clf = TabNetClassifier(n_d=8, n_a=8, n_steps=3, gamma=1.3, seed=int(seed), optimizer_params=dict(lr=2e-2), verbose=0, device_name="cpu")
    t0 = time.perf_counter()
    clf.fit(xtr.astype(np.float32), ytr.astype(np.int64), max_epochs=int(epochs), patience=0, batch_size=1024, virtual_batch_size=128)
    seconds = time.perf_counter() - t0
    pred = clf.predict(xte.astype(np.float32))
    train_pred = clf.predict(xtr.astype(np.float32))
    print(json.dumps({
        "accuracy": float(np.mean(pred == yte)), "macroF1": float(f1_score(yte, pred, average="macro")), "trainAccuracy": float(np.mean(train_pred == ytr)),
        "secondsPerEpoch": seconds / int(epochs), "epochs": int(epochs), "threads": int(threads), "reference": f"pytorch-tabnet {version()}", "torch": torch.__version__,
    }))


if __name__ == "__main__":
    if len(sys.argv) in (3, 4) and sys.argv[1] == "golden":
        golden(*sys.argv[2:])
    elif len(sys.argv) == 9 and sys.argv[1] == "fit":
        fit(*sys.argv[2:])
    else:
        sys.exit(__doc__)
