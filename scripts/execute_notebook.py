"""Executes one notebook with nbclient and reports the first failing cell.

    python3 scripts/execute_notebook.py IN.ipynb OUT.ipynb --kernel tslab --timeout 1800

The executed notebook (complete, or up to and including the failing cell) is written to OUT.
Exit 0: every cell ran. Exit 1: a cell failed; stdout holds one JSON object
{"cell": N, "error": "...", "stderr": "...", "kernelExit": CODE}, where kernelExit is the dead
kernel process's exit status (negative: the signal that killed it) when the kernel died. tslab reports runtime errors as a stderr stream plus
an error status (no error output), so the status, not the outputs, decides.
"""
import argparse
import json
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, DeadKernelError

parser = argparse.ArgumentParser()
parser.add_argument("source")
parser.add_argument("target")
parser.add_argument("--kernel", default="tslab")
parser.add_argument("--timeout", type=int, default=1800)
args = parser.parse_args()

nb = nbformat.read(args.source, as_version=4)
client = NotebookClient(nb, kernel_name=args.kernel, timeout=args.timeout, allow_errors=False, resources={"metadata": {"path": args.source.rsplit("/", 1)[0] if "/" in args.source else "."}})
kernel = {}


def remember_kernel_process(cell_index=None, **_):
    """Keeps the running cell's index and the kernel's Popen, for reporting a dead kernel."""
    kernel["cell"] = cell_index
    provisioner = getattr(client.km, "provisioner", None) if client.km is not None else None
    if "process" not in kernel and provisioner is not None:
        kernel["process"] = getattr(provisioner, "process", None)


client.on_cell_start = remember_kernel_process
failure = None
try:
    client.execute()
except (CellExecutionError, DeadKernelError) as err:
    failed = None
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        outputs = cell.get("outputs", [])
        stderr = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stderr")
        errors = [o for o in outputs if o.get("output_type") == "error"]
        if stderr or errors:
            failed = (index, stderr, errors)
    index, stderr, errors = failed if failed else (None, "", [])
    if isinstance(err, DeadKernelError) and kernel.get("cell") is not None:
        index = kernel["cell"]
        outputs = nb.cells[index].get("outputs", [])
        stderr = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stderr")
        errors = []
    message = str(err).strip().splitlines()
    failure = {
        "cell": None if index is None else index + 1,
        "error": type(err).__name__ + (": " + "; ".join(f"{e.get('ename', '')}: {e.get('evalue', '')}" for e in errors) if errors else ""),
        "stderr": stderr.strip(),
        "detail": "\n".join(message[-8:]),
    }
    process = kernel.get("process")
    if isinstance(err, DeadKernelError) and process is not None:
        try:
            failure["kernelExit"] = process.wait(timeout=10)
        except Exception:  # noqa: BLE001 - a diagnostic only
            pass
finally:
    nbformat.write(nb, args.target)
if failure:
    print(json.dumps(failure))
    sys.exit(1)
