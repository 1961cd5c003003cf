"""Grade ONE rebuilt submission in a fresh kernel (run as a subprocess by ``labkit grade``).

The job (cells, timeouts, environment) arrives as JSON on stdin and the result leaves as JSON
on stdout, so neither the source path nor the hidden tests appear in a command line, an
environment variable or a file the kernel could read. The kernel:

* starts in an empty temporary folder, with a sanitised environment;
* imports labkit from a private, read-only copy made for this submission (its hashes are
  checked after every cell: a submission that edits labkit's files is marked tampered);
* has an address-space limit (``RLIMIT_AS``), so a memory-hungry answer gets a MemoryError;
* runs each cell with a time limit; a hung cell is interrupted, and if the kernel does not
  answer (or dies) it is restarted and the notebook replayed with that cell left out.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ._runner import INSTALL

LAUNCHER = (
    "import os, sys\n"
    "lim = int(os.environ.pop('LABKIT_GRADER_MEM', '0') or 0)\n"
    "if lim > 0:\n"
    "    try:\n"
    "        import resource\n"
    "        resource.setrlimit(resource.RLIMIT_AS, (lim, lim))\n"
    "    except (ImportError, ValueError, OSError):\n"
    "        pass\n"
    "sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in getattr(f, '__module__', '')"
    " and 'editable' not in type(f).__module__]\n"
    "for k in [k for k in sys.modules if k.startswith('__editable__')]:\n"
    "    del sys.modules[k]\n" + INSTALL + "from ipykernel import kernelapp\n"
    "kernelapp.launch_new_instance()\n"
)
MAX_OUTPUT = 20_000  # characters of output kept per cell
INTERRUPT_GRACE = 10.0  # seconds a timed-out cell gets to stop after an interrupt


def _tree_hash(root: Path) -> str:
    h = hashlib.sha1()
    for p in sorted(root.rglob("*")):
        h.update(str(p.relative_to(root)).encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


def _private_copy(src: Path, dest: Path) -> str:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("*.pyc", "__pycache__", "*.ipynb"))
    for p in [dest, *dest.rglob("*")]:
        mode = p.stat().st_mode
        p.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return _tree_hash(dest)


def _make_writable(root: Path):
    for p in [root, *root.rglob("*")]:
        try:
            p.chmod(p.stat().st_mode | stat.S_IWUSR)
        except OSError:
            pass


class KernelGone(Exception):
    """The kernel died or stopped answering (``timed_out``: stuck in a cell, not dead)."""

    def __init__(self, message: str, timed_out: bool = False):
        super().__init__(message)
        self.timed_out = timed_out


class Session:
    """One kernel for one run through the notebook."""

    def __init__(
        self,
        base: Path,
        env: dict,
        mem_bytes: int,
        startup_timeout: float,
        interrupt_grace: float = INTERRUPT_GRACE,
    ):
        self.grace = interrupt_grace
        from jupyter_client import KernelManager
        from jupyter_client.kernelspec import KernelSpecManager

        kdir = base / "kernels" / "labkit-grader"
        kdir.mkdir(parents=True, exist_ok=True)
        (kdir / "kernel.json").write_text(
            json.dumps(
                {
                    "argv": [sys.executable, "-c", LAUNCHER, "-f", "{connection_file}"],
                    "display_name": "labkit grader",
                    "language": "python",
                }
            )
        )
        self.run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=base))
        ksm = KernelSpecManager(kernel_dirs=[str(base / "kernels")])
        self.km = KernelManager(kernel_name="labkit-grader", kernel_spec_manager=ksm)
        kenv = dict(env)
        kenv["LABKIT_GRADER_MEM"] = str(int(mem_bytes))
        # the kernel's own stdout/stderr (not the notebook's outputs) go nowhere: a submission
        # flooding file descriptor 1 or 2 cannot fill the grader's memory or disk
        self.km.start_kernel(
            cwd=str(self.run_dir), env=kenv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.kc = self.km.client()
        self.kc.start_channels()
        try:
            self.kc.wait_for_ready(timeout=startup_timeout)
        except RuntimeError as e:
            self.close()
            raise KernelGone(f"kernel did not start: {e}") from None

    def close(self):
        try:
            self.kc.stop_channels()
        except Exception:
            pass
        try:
            self.km.shutdown_kernel(now=True)
        except Exception:
            pass
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def execute(self, code: str, timeout: float, user_expressions: dict | None = None) -> dict:
        """Run code; returns dict(status, timed_out, error, output, user_expressions).
        Raises KernelGone when the kernel dies or ignores the interrupt."""
        msg_id = self.kc.execute(
            code,
            silent=False,
            store_history=True,
            allow_stdin=False,
            stop_on_error=False,
            user_expressions=user_expressions or {},
        )
        start = time.monotonic()
        reply, timed_out, interrupted_at = None, False, None
        while reply is None:
            now = time.monotonic()
            if not timed_out and now - start > timeout:
                timed_out, interrupted_at = True, now
                try:
                    self.km.interrupt_kernel()
                except Exception:
                    raise KernelGone("kernel could not be interrupted", timed_out=True) from None
            if timed_out and now - interrupted_at > self.grace:
                raise KernelGone(
                    f"still running {timeout:.0f} s + {self.grace:.0f} s after an interrupt",
                    timed_out=True,
                )
            try:
                msg = self.kc.get_shell_msg(timeout=0.5)
            except queue.Empty:
                if not self.km.is_alive():
                    raise KernelGone("the kernel died (crash, os._exit or out of memory)") from None
                continue
            if (
                msg.get("parent_header", {}).get("msg_id") == msg_id
                and msg["msg_type"] == "execute_reply"
            ):
                reply = msg["content"]
        out, error = [], None
        idle_deadline = time.monotonic() + 5.0
        while time.monotonic() < idle_deadline:
            try:
                msg = self.kc.get_iopub_msg(timeout=0.5)
            except queue.Empty:
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            t, c = msg["msg_type"], msg["content"]
            if t == "status" and c.get("execution_state") == "idle":
                break
            if sum(map(len, out)) > MAX_OUTPUT:
                continue
            if t == "stream":
                out.append(c.get("text", ""))
            elif t == "error":
                error = f"{c.get('ename')}: {c.get('evalue')}"
            elif t in ("execute_result", "display_data"):
                txt = c.get("data", {}).get("text/plain")
                if txt and "image/png" not in c.get("data", {}):
                    out.append(str(txt) + "\n")
        if reply.get("status") == "error" and error is None:
            error = f"{reply.get('ename')}: {reply.get('evalue')}"
        return dict(
            status=reply.get("status"),
            timed_out=timed_out,
            error=error,
            output="".join(out)[:MAX_OUTPUT],
            user_expressions=reply.get("user_expressions", {}),
        )


def _parse_result(ue: dict, token: str, grade_id: str) -> tuple[str, str, int | None]:
    import ast

    r = ue.get("r")
    if not isinstance(r, dict) or r.get("status") != "ok":
        ename = r.get("ename") if isinstance(r, dict) else None
        return "error", f"the grader's test runner failed ({ename or 'no result'})", None
    try:
        res = json.loads(ast.literal_eval(r["data"]["text/plain"]))
    except Exception:
        return "error", "the grader's test runner returned an unreadable result", None
    if res.get("token") != token or res.get("grade_id") != grade_id:
        return "error", "the test result did not carry this run's token (tampering?)", None
    return res.get("status", "error"), res.get("detail", ""), res.get("line")


@dataclass
class Job:
    """What ``labkit grade`` sends a worker (as JSON on stdin): one rebuilt submission."""

    cells: list  # [dict(kind=answer|test|code, grade_id, source, stub, hidden, modules)]
    imports: list
    token: str
    labkit_dir: str
    env: dict
    cell_timeout: float
    notebook_timeout: float
    mem_bytes: int
    startup_timeout: float
    max_restarts: int
    interrupt_grace: float = INTERRUPT_GRACE


@dataclass
class TestOutcome:
    status: str  # passed, failed, not implemented, error, timeout, crashed
    detail: str = ""
    line: int | None = None  # line of the test cell that raised (to tell a hidden test's failure)
    output: str = ""


@dataclass
class AnswerError:
    kind: str  # "error" (raised), "timeout" (interrupted) or "left_out" (killed the kernel)
    message: str
    timed_out: bool = False  # for left_out: the kernel was stuck rather than dead


@dataclass
class WorkerResult:
    """What a worker sends back (JSON on stdout)."""

    results: dict = field(default_factory=dict)  # grade_id -> TestOutcome
    notes: list = field(default_factory=list)
    answer_errors: dict = field(default_factory=dict)  # answer grade_id -> AnswerError
    tampered: str | None = None
    seconds: float = 0.0
    timings: list = field(default_factory=list)  # (cell index, kind, grade_id, seconds)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_dict(cls, d: dict) -> "WorkerResult":
        return cls(
            results={k: TestOutcome(**v) for k, v in d["results"].items()},
            notes=d["notes"],
            answer_errors={k: AnswerError(**v) for k, v in d["answer_errors"].items()},
            tampered=d["tampered"],
            seconds=d["seconds"],
            timings=d["timings"],
        )


def _run_test(sess: Session, cell: dict, job: Job, lib: Path, limit: float) -> TestOutcome:
    """One test cell through the grader's runner (a user expression), scored in the reply."""
    from ._runner import expression

    gid = cell["grade_id"]
    ue = {
        "r": expression(
            cell["source"], gid, str(lib), job.imports, cell.get("modules", []), job.token
        )
    }
    r = sess.execute("pass", limit, ue)
    if r["timed_out"]:
        return TestOutcome("timeout", f"took longer than {limit:.0f} s")
    st, detail, line = _parse_result(r["user_expressions"], job.token, gid)
    return TestOutcome(st, detail, line, r["output"])


def _run_pass(
    sess: Session,
    job: Job,
    lib: Path,
    digest: str,
    deadline: float,
    left_out: dict,
    res: WorkerResult,
) -> tuple[int, KernelGone] | None:
    """Run the cells once in ``sess``, filling ``res``; returns (cell index, error) if the kernel
    was lost, else None. Cells in ``left_out`` (index -> TestOutcome) are skipped (answers: their
    stub)."""
    for i, cell in enumerate(job.cells):
        remaining = deadline - time.monotonic()
        if remaining <= 1:
            res.notes.append(
                f"notebook time limit ({job.notebook_timeout:.0f} s) reached at cell {i}"
            )
            return None
        kind, gid = cell["kind"], cell.get("grade_id")
        code = cell["source"]
        if i in left_out:
            if kind == "test":
                res.results[gid] = left_out[i]
                continue
            if kind != "answer":
                continue
            code = cell["stub"]
            res.answer_errors[gid] = AnswerError(
                "left_out",
                f"was left out ({left_out[i].detail})",
                timed_out=left_out[i].status == "timeout",
            )
        limit = min(job.cell_timeout, remaining)
        t_cell = time.monotonic()
        try:
            if kind == "test":
                res.results[gid] = _run_test(sess, cell, job, lib, limit)
            else:
                r = sess.execute(code, limit)
                if kind == "answer" and r["timed_out"]:
                    res.answer_errors[gid] = AnswerError(
                        "timeout", f"timed out after {limit:.0f} s"
                    )
                elif kind == "answer" and r["error"]:
                    res.answer_errors[gid] = AnswerError("error", r["error"])
        except KernelGone as e:
            return i, e
        finally:
            res.timings.append((i, kind, gid, round(time.monotonic() - t_cell, 2)))
        if _tree_hash(lib / "labkit") != digest:
            res.tampered = f"labkit's files were modified while running cell {i}"
            return None
    return None


def grade_job(job: dict | Job) -> dict:
    """Run the cells of one rebuilt submission, restarting the kernel without a cell that kills
    or hangs it; returns a :class:`WorkerResult` as a dict."""
    job = job if isinstance(job, Job) else Job(**job)
    t0 = time.monotonic()
    deadline = t0 + float(job.notebook_timeout)
    left_out: dict[int, TestOutcome] = {}
    base = Path(tempfile.mkdtemp(prefix="labkit-grade-"))
    os.environ["JUPYTER_RUNTIME_DIR"] = str(base / "runtime")
    lib = base / "lib"
    res = WorkerResult()
    try:
        digest = _private_copy(Path(job.labkit_dir), lib / "labkit")
        # private IPython / Jupyter config dirs: a submission that writes a startup file or a
        # kernel config there cannot reach the next submission's kernel
        env = dict(
            job.env,
            PYTHONPATH=str(lib),
            IPYTHONDIR=str(base / "ipython"),
            JUPYTER_CONFIG_DIR=str(base / "jupyter"),
        )
        for attempt in range(job.max_restarts + 2):
            notes = res.notes
            res = WorkerResult(notes=notes)
            try:
                sess = Session(base, env, job.mem_bytes, job.startup_timeout, job.interrupt_grace)
            except KernelGone as e:
                res.notes.append(str(e))
                break
            try:
                lost = _run_pass(sess, job, lib, digest, deadline, left_out, res)
            finally:
                sess.close()
            if res.tampered or lost is None:
                break
            i, err = lost
            cell_name = job.cells[i].get("grade_id") or f"cell {i}"
            res.notes.append(f"{cell_name}: {err}; restarted the kernel without it")
            left_out[i] = TestOutcome("timeout" if err.timed_out else "crashed", str(err))
            if attempt >= job.max_restarts or deadline - time.monotonic() < 5:
                res.notes.append("too many kernel restarts; the remaining tests were not run")
                break
    finally:
        _make_writable(base)
        shutil.rmtree(base, ignore_errors=True)
    res.seconds = round(time.monotonic() - t0, 2)
    return asdict(res)


BOOTSTRAP = (
    "import sys, json\n"
    "data = sys.stdin.read()\n"
    "job = json.loads(data)\n"
    "sys.path.insert(0, job.pop('grader_path'))\n"
    "from labkit.grading._worker import grade_job\n"
    "res = grade_job(job)\n"
    "sys.stdout.write('\\n@@LABKIT-RESULT@@' + json.dumps(res) + '\\n')\n"
)
