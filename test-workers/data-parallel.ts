/**
 * A data-parallel run for the MPI integration tests, launched as
 *   mpiexec -n N node build/test-workers/data-parallel.js OUT SYNC BATCH EPOCHS [PATIENCE [LR]]
 * or without mpiexec (a world of one). PATIENCE turns on early stopping on the validation loss. Each rank writes OUT.rank<r>.json with the reduced loss of
 * every step and a SHA-256 of its weights after every step and every epoch.
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs-core";
import { applyStandardizer, fitStandardizer, selectRows, syntheticCicids } from "../lib/data";
import { fuseVariables, parseSync, trainDataParallel, worldCommunicator } from "../lib/parallel";
import { buildMlp } from "../lib/models";
import { useBackend } from "../lib/runtime";
import { toArrayData } from "../lib/train";

async function main(): Promise<void> {
  const [out, syncText, batch, epochs] = [
    process.argv[2],
    process.argv[3],
    Number(process.argv[4]),
    Number(process.argv[5]),
  ];
  const patience = process.argv[6] === undefined ? null : Number(process.argv[6]);
  const learningRate = process.argv[7] === undefined ? 3e-3 : Number(process.argv[7]);
  const comm = worldCommunicator();
  await useBackend("wasm");
  const ds = syntheticCicids({ rows: 700, seed: 8 });
  const x = { ...ds, features: applyStandardizer(fitStandardizer(ds.features, ds.featureNames), ds.features) };
  const idx = Int32Array.from({ length: 700 }, (_, i) => i);
  const data = {
    train: toArrayData(selectRows(x, idx.subarray(0, 600))),
    val: toArrayData(selectRows(x, idx.subarray(600))),
    classNames: ds.classNames,
  };
  const model = buildMlp({ inputShape: [78], hidden: [32], classes: 15, dropout: 0, seed: comm.rank }); // different seeds: the broadcast must align them
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const digest = (): string => createHash("sha256").update(fuseVariables(variables)).digest("hex").slice(0, 16);
  const losses: number[] = [];
  const stepDigests: string[] = [];
  const epochDigests: string[] = [];
  const { row, result } = await trainDataParallel(
    model,
    data,
    {
      sync: parseSync(syncText),
      batchSize: batch,
      ranksPerNode: 2,
      train: {
        epochs,
        learningRate,
        earlyStopping: patience === null ? null : { metric: "valLoss", patience },
        seed: 5,
        progress: "none",
        onStep: (_s, loss) => {
          losses.push(loss);
          stepDigests.push(digest());
        },
        onEpoch: () => epochDigests.push(digest()),
      },
    },
    comm,
  );
  writeFileSync(
    `${out}.rank${comm.rank}.json`,
    JSON.stringify({
      rank: comm.rank,
      size: comm.size,
      kind: comm.kind,
      losses,
      stepDigests,
      epochDigests,
      row,
      epochsRun: result.history.length,
      stoppedEarly: result.stoppedEarly,
    }),
  );
  comm.finalize();
}
void main();
