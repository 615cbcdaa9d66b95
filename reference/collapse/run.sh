#!/usr/bin/env bash
# Regenerates the collapse study's reference CSVs (notebook 04, issue #18): SqueezeNet v1.1 on
# Fashion-MNIST padded to 32×32, virtual ranks, strided shards, batch 12 per rank, Adam 5e-4,
# 20,000 training images, 5 epochs, 2,000 test images; conv10 probed every epoch.
# Two queues run side by side (one per core); about an hour on a 2-core x86 machine.
#   bash reference/collapse/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
out=reference/collapse
run() { # model sync nps
  node build/lib/cli/main.js simulate-scaling --model "$1" --sync "$2" --np "$3" --dataset fashion-mnist-32 \
    --subset 20000 --test 2000 --epochs 5 --batch 12 --lr 5e-4 --probe conv10 --csv "$out/$1-${2/:/}.csv"
}
all=1,2,4,8,16,24,48
(
  run squeezenet epoch-average 1,16,48
  run squeezenet-he epoch-average "$all"
) > "$out/queue1.log" 2>&1 &
(
  run squeezenet-he-linear epoch-average "$all"
  run squeezenet-he local-sgd:8 16,48
  run squeezenet-he allreduce 16,48
) > "$out/queue2.log" 2>&1 &
wait
