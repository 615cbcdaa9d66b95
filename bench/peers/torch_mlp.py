"""PyTorch peer for the MLP training benchmark: the same 784-128-10 MLP, Adam lr 1e-3, batch 64,
same thread count, on the same Fashion-MNIST IDX files. Prints one JSON object."""
import gzip, json, sys, time

import numpy as np
import torch

idx_dir, threads, epochs_samples = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
torch.set_num_interop_threads(1)
torch.manual_seed(0)

def read_idx(path):
    with gzip.open(path) as f:
        data = f.read()
    ndim = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)

x = torch.from_numpy(read_idx(f"{idx_dir}/train-images-idx3-ubyte.gz")[:epochs_samples].astype(np.float32) / 255).reshape(-1, 784)
y = torch.from_numpy(read_idx(f"{idx_dir}/train-labels-idx1-ubyte.gz")[:epochs_samples].astype(np.int64))
model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = torch.nn.CrossEntropyLoss()
perm = torch.randperm(len(y))
t0 = time.perf_counter()
for start in range(0, len(y), 64):
    idx = perm[start:start + 64]
    opt.zero_grad()
    loss = loss_fn(model(x[idx]), y[idx])
    loss.backward()
    opt.step()
seconds = time.perf_counter() - t0
print(json.dumps({"name": f"pytorch {torch.__version__}", "samplesPerSec": len(y) / seconds, "seconds": seconds}))
