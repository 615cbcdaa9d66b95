"""A Flower NumPyClient (flwr.client.start_numpy_client) for edgelab's interoperability test.

Deterministic so the test can compute FedAvg independently: every client starts from the same
arrays (seed 0); fit adds (cid + 1) * 0.01 * round to every value and reports 10 * (cid + 1)
examples; evaluate reports loss = mean of the first array + cid over 5 * (cid + 1) examples.
Usage: flower_client.py ADDRESS CID
"""
import sys

import flwr as fl
import numpy as np

address, cid = sys.argv[1], int(sys.argv[2])
SHAPES = [(6, 4), (4,), (4, 3), (3,)]


class Deterministic(fl.client.NumPyClient):
    def __init__(self):
        rng = np.random.default_rng(0)
        self.params = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
        self.round = 0

    def get_parameters(self, config):
        return self.params

    def fit(self, parameters, config):
        self.round += 1
        self.params = [p + np.float32((cid + 1) * 0.01 * self.round) for p in parameters]
        return self.params, 10 * (cid + 1), {"cid": cid}

    def evaluate(self, parameters, config):
        return float(np.mean(parameters[0])) + cid, 5 * (cid + 1), {"accuracy": 0.5}


fl.client.start_numpy_client(server_address=address, client=Deterministic())
