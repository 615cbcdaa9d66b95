/**
 * The measurements of the SqueezeNet-on-Pi-4-cluster paper (seed 003), as data, so notebooks can
 * put edgelab's measured, simulated and projected numbers beside them.
 */

/** Table 1: batch-size sweep on one Pi 4 (2 ranks). */
export const paperTable1: readonly {
  batchPerNode: number;
  batchPerRank: number;
  epochSeconds: number;
  meanStepSeconds: number;
  globalImgPerSec: number;
  peakRssMB: number;
  cpuPercent: number;
}[] = [
  {
    batchPerNode: 8,
    batchPerRank: 4,
    epochSeconds: 91.63,
    meanStepSeconds: 0.458,
    globalImgPerSec: 17.46,
    peakRssMB: 638.1,
    cpuPercent: 108.2,
  },
  {
    batchPerNode: 16,
    batchPerRank: 8,
    epochSeconds: 166.14,
    meanStepSeconds: 0.831,
    globalImgPerSec: 19.26,
    peakRssMB: 637.7,
    cpuPercent: 107.8,
  },
  {
    batchPerNode: 24,
    batchPerRank: 12,
    epochSeconds: 241.01,
    meanStepSeconds: 1.205,
    globalImgPerSec: 19.92,
    peakRssMB: 637.6,
    cpuPercent: 107.5,
  },
  {
    batchPerNode: 32,
    batchPerRank: 16,
    epochSeconds: 344.52,
    meanStepSeconds: 1.723,
    globalImgPerSec: 18.58,
    peakRssMB: 655.7,
    cpuPercent: 111.2,
  },
];

/** Table 2: strong scaling, 10 epochs, batch 24 per node, epoch-end weight averaging. */
export const paperTable2: readonly {
  nodes: number;
  np: number;
  testAccuracy: number;
  testLoss: number;
  meanTrainLoss: number;
  meanTrainAccuracy: number;
  seconds: number;
  speedup: number;
  efficiency: number;
}[] = [
  {
    nodes: 1,
    np: 2,
    testAccuracy: 0.6161,
    testLoss: 1.0779,
    meanTrainLoss: 1.1403,
    meanTrainAccuracy: 0.5874,
    seconds: 5003.0,
    speedup: 1,
    efficiency: 1,
  },
  {
    nodes: 2,
    np: 4,
    testAccuracy: 0.466,
    testLoss: 1.4356,
    meanTrainLoss: 1.5139,
    meanTrainAccuracy: 0.4345,
    seconds: 2535.56,
    speedup: 1.97313414,
    efficiency: 0.9866,
  },
  {
    nodes: 4,
    np: 8,
    testAccuracy: 0.3561,
    testLoss: 1.7313,
    meanTrainLoss: 1.7995,
    meanTrainAccuracy: 0.3206,
    seconds: 2455.94,
    speedup: 2.037101884,
    efficiency: 0.5093,
  },
  {
    nodes: 8,
    np: 16,
    testAccuracy: 0.1,
    testLoss: 2.3026,
    meanTrainLoss: 2.3026,
    meanTrainAccuracy: 0.1001,
    seconds: 1156.48,
    speedup: 4.326058384,
    efficiency: 0.5408,
  },
  {
    nodes: 12,
    np: 24,
    testAccuracy: 0.1,
    testLoss: 2.3026,
    meanTrainLoss: 2.3026,
    meanTrainAccuracy: 0.1005,
    seconds: 851.04,
    speedup: 5.878689603,
    efficiency: 0.4899,
  },
  {
    nodes: 16,
    np: 32,
    testAccuracy: 0.1,
    testLoss: 2.3026,
    meanTrainLoss: 2.3026,
    meanTrainAccuracy: 0.1,
    seconds: 699.52,
    speedup: 7.152047118,
    efficiency: 0.447,
  },
  {
    nodes: 20,
    np: 40,
    testAccuracy: 0.1,
    testLoss: 2.3026,
    meanTrainLoss: 2.3026,
    meanTrainAccuracy: 0.1016,
    seconds: 627.32,
    speedup: 7.975196072,
    efficiency: 0.3988,
  },
  {
    nodes: 24,
    np: 48,
    testAccuracy: 0.1,
    testLoss: 2.3026,
    meanTrainLoss: 2.3026,
    meanTrainAccuracy: 0.101,
    seconds: 432.11,
    speedup: 11.5780704,
    efficiency: 0.4824,
  },
];
