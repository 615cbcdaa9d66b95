/** Emulated Pi clusters on one Linux machine: network namespaces, a bridge and shaped links. */
export { createEmulatedCluster, emulationUnavailable, type EmulatedCluster, type EmulatedHost } from "./emulated";
