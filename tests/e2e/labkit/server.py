"""A throw-away JupyterLab (or Jupyter Notebook 7) server for the browser tests.

Everything Jupyter reads or writes (config, data, runtime, settings, workspaces, IPython) lives in one
scratch folder, so a test run neither sees nor changes the developer's own Jupyter setup.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil

KERNEL_NAME = "python3"  # the kernel every notebook asks for; ours (this interpreter) shadows any other

# JupyterLab user settings that make runs deterministic and offline: no news feed, no update check, no
# autosave (autosave would write outputs back into the notebook under test).
USER_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
}
# The same on the server side: never fetch the news feed, never ask PyPI for a newer JupyterLab.
SERVER_CONFIG = {
    "LabApp": {"news_url": None, "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"},
}


# Where a Notebook 7 that is not installed in the test interpreter can be found: a folder put on the
# server's PYTHONPATH (e.g. `pip install --no-deps --target DIR notebook`; its other requirements are
# JupyterLab's own). Unset: `notebook` must be importable by the test interpreter.
NOTEBOOK_PATH_ENV = "NBTRACK_E2E_NOTEBOOK_PATH"


def notebook7_missing(python: str = sys.executable) -> str | None:
    """Why ``jupyter notebook`` (version 7) cannot be started here, or None when it can."""
    env = dict(os.environ)
    extra = os.environ.get(NOTEBOOK_PATH_ENV)
    if extra:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [extra, env.get("PYTHONPATH")]))
    probe = subprocess.run([python, "-c", "import notebook; print(notebook.__version__)"], env=env,
                           capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        return (f"Jupyter Notebook 7 is not installed for {python} (`pip install notebook`, or set "
                f"{NOTEBOOK_PATH_ENV} to a folder holding it)")
    version = probe.stdout.strip()
    if not version.split(".")[0].isdigit() or int(version.split(".")[0]) < 7:
        return f"the installed notebook is {version}, not Notebook 7"
    return None


def free_port() -> int:
    """A port that was free a moment ago (bind to port 0 and let the kernel pick one)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """``jupyter lab`` on 127.0.0.1, a free port and a random token, sandboxed under ``scratch``.
    ``app="notebook"``: ``jupyter notebook`` (Notebook 7, the same JupyterLab components in one-document
    pages) instead; :meth:`notebook_url` gives the page that opens a notebook in either."""

    def __init__(self, scratch: Path, python: str = sys.executable, app: str = "lab"):
        if app not in ("lab", "notebook"):
            raise ValueError(f"app is 'lab' or 'notebook', not {app!r}")
        self.scratch = scratch
        self.python = python
        self.app = app
        self.root_dir = scratch / "root"
        self.log_path = scratch / ("jupyterlab.log" if app == "lab" else "notebook7.log")
        self.token = secrets.token_hex(16)
        self.port = 0
        self.proc: subprocess.Popen | None = None
        jhome = scratch / "jhome"
        self.dirs = {
            "JUPYTER_CONFIG_DIR": jhome / "config",
            "JUPYTER_DATA_DIR": jhome / "data",
            "JUPYTER_RUNTIME_DIR": jhome / "runtime",
            "JUPYTERLAB_SETTINGS_DIR": jhome / "lab-settings",
            "JUPYTERLAB_WORKSPACES_DIR": jhome / "lab-workspaces",
            "IPYTHONDIR": jhome / "ipython",
        }
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON"))}
        env.pop("NBTRACK_DIR", None)  # notebooks record where a user's would: ./nbruns beside the notebook
        env.update({k: str(v) for k, v in self.dirs.items()})
        # Our kernelspec in JUPYTER_DATA_DIR must win over the one ipykernel ships in sys.prefix.
        env.update(JUPYTER_PREFER_ENV_PATH="0", PYTHONUNBUFFERED="1")
        extra = os.environ.get(NOTEBOOK_PATH_ENV)
        self.extra_args: list[str] = []
        self.schema_sources: list[Path] = []
        if app == "notebook" and extra:  # a `pip install --target` folder: its code, data files and schemas
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [extra, env.get("PYTHONPATH")]))
            env["JUPYTER_PATH"] = str(Path(extra) / "share" / "jupyter")
            schemas = Path(extra) / "share" / "jupyter" / "lab" / "schemas"
            if schemas.is_dir():
                # Notebook 7's settings schemas are not beside JupyterLab's, and JupyterLab's settings route
                # (loaded too) answers for both: one folder linking both sets, for both apps
                merged = scratch / "schemas"
                self.schema_sources = [Path(sys.prefix) / "share" / "jupyter" / "lab" / "schemas", schemas]
                self.extra_args += [f"--{a}.schemas_dir={merged}" for a in ("LabApp", "JupyterNotebookApp")]
        self.env = env

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- set-up ---------------------------------------------------------------------------------------
    def prepare(self) -> None:
        for d in (*self.dirs.values(), self.root_dir):
            d.mkdir(parents=True, exist_ok=True)
        for source in self.schema_sources:
            for scope in source.iterdir() if source.is_dir() else []:
                link = self.scratch / "schemas" / scope.name
                if not link.exists():
                    link.parent.mkdir(parents=True, exist_ok=True)
                    link.symlink_to(scope, target_is_directory=True)
        settings_dir = self.dirs["JUPYTERLAB_SETTINGS_DIR"]
        for plugin, value in USER_SETTINGS.items():
            path = settings_dir / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value))
        (self.dirs["JUPYTER_CONFIG_DIR"] / "jupyter_server_config.json").write_text(json.dumps(SERVER_CONFIG))
        # A kernelspec that runs exactly this interpreter (the one with nbtrack installed), whatever
        # `python` on PATH is.
        spec_dir = self.dirs["JUPYTER_DATA_DIR"] / "kernels" / KERNEL_NAME
        spec_dir.mkdir(parents=True, exist_ok=True)
        spec = {"argv": [self.python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (nbtrack e2e)", "language": "python",
                "metadata": {"debugger": False}}
        (spec_dir / "kernel.json").write_text(json.dumps(spec))

    def start(self, timeout: float = 60, attempts: int = 3) -> None:
        """Start the server and wait until ``/api/status`` answers; retries when the port was taken."""
        for attempt in range(1, attempts + 1):
            self.port = free_port()
            module, expose = (("jupyterlab", "--LabApp.expose_app_in_browser=True") if self.app == "lab" else
                              ("notebook", "--JupyterNotebookApp.expose_app_in_browser=True"))
            cmd = [self.python, "-m", module, "--no-browser", "--allow-root",
                   "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
                   f"--IdentityProvider.token={self.token}", "--ServerApp.password=",
                   f"--ServerApp.root_dir={self.root_dir}", expose, *self.extra_args]
            with open(self.log_path, "a") as log:
                log.write(f"=== attempt {attempt}: port {self.port}\n")
                log.flush()
                self.proc = subprocess.Popen(cmd, env=self.env, cwd=self.root_dir, stdin=subprocess.DEVNULL,
                                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break  # exited: most likely the port was taken in between; try another one
                try:
                    self.api("GET", "/api/status", timeout=2)
                    self._check_kernelspec()
                    return
                except (OSError, urllib.error.URLError):
                    time.sleep(0.2)
            else:
                self.stop()
                raise RuntimeError(f"jupyter {self.app} did not answer within {timeout} s; log: {self.log_path}\n"
                                   + self.log_tail())
        raise RuntimeError(f"jupyter {self.app} exited with {self.proc.returncode}; log: {self.log_path}\n"
                           + self.log_tail())

    def _check_kernelspec(self) -> None:
        specs = self.api("GET", "/api/kernelspecs")["kernelspecs"]
        argv = specs.get(KERNEL_NAME, {}).get("spec", {}).get("argv", [])
        if not argv or argv[0] != self.python:
            raise RuntimeError(f"kernelspec {KERNEL_NAME!r} runs {argv[:1]}, not {self.python}")

    def notebook_url(self, path: str) -> str:
        """The page that opens notebook ``path`` (relative to root_dir): JupyterLab ignoring any saved
        workspace (?reset), or Notebook 7's one-notebook page."""
        if self.app == "lab":
            return f"{self.base_url}/lab/tree/{path}?reset&token={self.token}"
        return f"{self.base_url}/notebooks/{path}?token={self.token}"

    def workspace_url(self, workspace: str) -> str:
        """An empty JupyterLab page in a workspace of its own (``/lab/workspaces/<name>?reset``).

        Two pages of one browser on the same workspace (plain ``/lab``) make JupyterLab's window resolver
        move the newer page to a generated ``auto-X`` workspace: a second navigation, after the first
        ``load``, that destroys the context of a script started on it, and a ``Page.close`` during it
        never returned (the "frozen page" of test_track_saved.py, once blamed on the kernel's shutdown).
        A page opened beside another must name its own workspace."""
        return f"{self.base_url}/lab/workspaces/{workspace}?reset&token={self.token}"

    # -- REST -----------------------------------------------------------------------------------------
    def api(self, method: str, path: str, timeout: float = 10):
        req = urllib.request.Request(self.base_url + path, method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            body = r.read()
        return json.loads(body) if body else None

    def delete_sessions(self) -> int:
        """Shut every notebook session's kernel down (kernels outlive the browser tab)."""
        sessions = self.api("GET", "/api/sessions")
        for s in sessions:
            self.api("DELETE", f"/api/sessions/{s['id']}")
        return len(sessions)

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    # -- tear-down ------------------------------------------------------------------------------------
    def stop(self) -> list[str]:
        """Stop the server and every process it started (kernels run in their own sessions, so they are
        found as descendants by PID, not by process group). Returns the processes that needed force;
        raises if any survive."""
        notes: list[str] = []
        if self.proc is None:
            return notes
        try:
            server = psutil.Process(self.proc.pid)
            family = [server, *server.children(recursive=True)]
        except psutil.NoSuchProcess:
            family = []
        if self.proc.poll() is None:
            try:
                self.api("POST", "/api/shutdown", timeout=5)  # shuts the kernels down, then the server
            except (OSError, urllib.error.URLError) as e:
                notes.append(f"/api/shutdown failed: {e}")
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                notes.append("server ignored /api/shutdown")
        self.proc.poll()  # reap
        alive = [p for p in family if _alive(p)]
        for sig in ("terminate", "kill"):
            if not alive:
                break
            for p in alive:
                notes.append(f"{sig} leftover pid {p.pid} ({_describe(p)})")
                try:
                    getattr(p, sig)()
                except psutil.NoSuchProcess:
                    pass
            _, alive = psutil.wait_procs(alive, timeout=5)
            alive = [p for p in alive if _alive(p)]
        if self.proc.poll() is None:
            self.proc.wait(timeout=5)
        if alive:
            raise RuntimeError(f"processes survived the JupyterLab shutdown: {[p.pid for p in alive]}")
        return notes


def _alive(p: psutil.Process) -> bool:
    """Still running (is_running() also tells a reused PID apart) and not a zombie waiting to be reaped."""
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _describe(p: psutil.Process) -> str:
    try:
        return " ".join(p.cmdline()[:4])
    except psutil.Error:
        return "?"
