"""Flower's own server (flwr.server.start_server, FedAvg) for edgelab's interoperability test.

Saves the aggregated parameters of every round as OUT/round-N.npz and the evaluation loss per
round in OUT/history.json. Usage: flower_server.py ADDRESS ROUNDS MIN_CLIENTS OUT
"""
import json
import os
import sys

import flwr as fl
import numpy as np

address, rounds, min_clients, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
os.makedirs(out, exist_ok=True)


class SavingFedAvg(fl.server.strategy.FedAvg):
    def aggregate_fit(self, server_round, results, failures):
        parameters, metrics = super().aggregate_fit(server_round, results, failures)
        if parameters is not None:
            np.savez(os.path.join(out, f"round-{server_round}.npz"), *fl.common.parameters_to_ndarrays(parameters))
        return parameters, metrics


strategy = SavingFedAvg(min_fit_clients=min_clients, min_evaluate_clients=min_clients, min_available_clients=min_clients)
history = fl.server.start_server(server_address=address, config=fl.server.ServerConfig(num_rounds=rounds), strategy=strategy)
with open(os.path.join(out, "history.json"), "w") as f:
    json.dump({"losses_distributed": history.losses_distributed}, f)
