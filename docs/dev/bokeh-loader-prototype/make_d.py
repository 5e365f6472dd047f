"""Case (d): execute a two-dashboard notebook with nbclient, with and without widget state.
Variants: *_nok = kernelspec that does not exist (reopen with "No Kernel"); *_k = python3 (reopen starts a
fresh kernel that runs nothing); *_untrusted = not signed."""
import copy, json, os, subprocess, sys
from pathlib import Path
import nbformat
from nbclient import NotebookClient
sys.path.insert(0, str(Path(__file__).parent))
from run_cases import NOTEBOOKS, make_nb

ROOT = Path("/tmp/bokeh_loader_proto/lab/root"); ROOT.mkdir(parents=True, exist_ok=True)
DATA = Path("/tmp/bokeh_loader_proto/lab/jhome/data"); DATA.mkdir(parents=True, exist_ok=True)
cells = NOTEBOOKS["a"] + ["d1.append([10, 11], [0, 0.5])  # a custom message after display"]
jobs = [(cells, True, "d_with"), (cells, False, "d_without"),
        (["import ipywidgets\nipywidgets.IntSlider(7)"], True, "ctl_slider_with")]
for cells_, store, name in jobs:
    nb0 = make_nb(cells_, name)
    NotebookClient(nb0, timeout=120, kernel_name="python3", store_widget_state=store).execute()
    for kvariant in ("nok", "k"):
        nb = copy.deepcopy(nb0)
        if kvariant == "nok":
            nb.metadata["kernelspec"] = {"name": "nbtrack-nokernel", "display_name": "none", "language": "nbtrack-none"}
            nb.metadata.pop("language_info", None)
        for suffix, sign in (("", True), ("_untrusted", False)):
            nb.metadata["variant"] = suffix or "trusted"  # else the signature (a content hash) also covers the copy
            p = ROOT / f"{name}_{kvariant}{suffix}.ipynb"; nbformat.write(nb, p)
            if sign:
                subprocess.run([sys.executable, "-m", "jupyter", "trust", str(p)], check=True, capture_output=True,
                               env={**os.environ, "JUPYTER_DATA_DIR": str(DATA)})
            ws = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
            print(p.name, "size", p.stat().st_size, "bytes; widget models saved:", len(ws),
                  {k[:8]: (v["model_name"], len(json.dumps(v["state"]))) for k, v in ws.items()})
