import assert from "node:assert/strict";
import { test } from "node:test";
import { LauncherOutputFilter } from "../../lib/parallel/launcher-output";
import { describeMpiFailure } from "../../lib/parallel/watchdog";

// What MPICH 4's Hydra printed here when one rank of `edgelab train --np 2` was killed with SIGKILL.
const hydra = `
===================================================================================
=   BAD TERMINATION OF ONE OF YOUR APPLICATION PROCESSES
=   PID 17539 RUNNING AT vm
=   EXIT CODE: 9
=   CLEANING UP REMAINING PROCESSES
=   YOU CAN IGNORE THE BELOW CLEANUP MESSAGES
===================================================================================
YOUR APPLICATION TERMINATED WITH THE EXIT STRING: Killed (signal 9)
This typically refers to a problem with your application.
Please see the FAQ page for debugging suggestions`;
// libucs' error-handler format: a `[host:pid:thread:tid]` line, then a numbered backtrace; then
// what a surviving rank's shared-memory transport printed in CI (the pid padded to five columns).
const ucx = `[vm:17539:0:17539] Caught signal 11 (Segmentation fault: address not mapped to object at address 0x8)
==== backtrace (tid:  17539) ====
 0  /lib/x86_64-linux-gnu/libucs.so.0(ucs_handle_error+0x2dc) [0x7f0c1a1b2f5c]
 1  /lib/x86_64-linux-gnu/libucs.so.0(+0x2d13b) [0x7f0c1a1b313b]
=================================
[vm:2209 :0:2209]      cma_ep.c:81   process_vm_readv(pid=2210 {0x40676790,179748}-->{0x2a5bc160,179748}) returned -1: No such process`;

test("the launcher's banner and UCX backtraces are held back; the ranks' lines pass", () => {
  const filter = new LauncherOutputFilter();
  const ranks = ['{"world":2,"epochs":1}', "epoch 1/2: loss 0.42", "edgelab: data/x.csv: line 3: not a number"];
  const shown = [...ranks.slice(0, 2), ...hydra.split("\n"), ...ucx.split("\n"), ranks[2]].filter(
    (l) => l.trim() && filter.accept(l),
  );
  assert.deepEqual(shown, ranks);
});

test("a killed rank in Hydra's banner becomes one line naming its pid, host and signal", () => {
  assert.equal(
    describeMpiFailure(2, 9, hydra),
    "a rank (pid 17539 on vm) ended abnormally: killed (signal 9); mpiexec stopped the other ranks",
  );
});
