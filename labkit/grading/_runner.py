"""Code the grader runs inside the student's kernel for every test cell.

It is sent as a ``user_expressions`` entry of an execute request, not as cell source: IPython
evaluates user expressions without input transformers, AST transformers or cell hooks, and the
result comes back in the execute *reply* (a channel that ``print`` or ``display`` cannot write
to). The expression:

1. drops every ``labkit*`` module from ``sys.modules`` and imports labkit again from the
   grader's private copy, with Python's standard import finders only (a monkeypatched check,
   ``labkit`` function or import hook from the student's cells is gone);
2. forces grading mode on the fresh checks (``_FORCE_GRADING``), whatever ``os.environ`` says;
3. re-runs the instructor's ``labkit`` import statements in the notebook namespace, so names
   like ``labkit`` or ``checks`` point at the fresh modules;
4. runs the instructor's test code (public and hidden), and returns a JSON string with the
   per-run token, the status and the message. Points are never computed in the kernel.

The runner itself is defined by the kernel launcher before any student code runs (``INSTALL``).
"""

from __future__ import annotations

RUNNER_SOURCE = r'''
def __labkit_grade_run(test_src, grade_id, lib, imports, modules, token):
    import sys, os, json, traceback
    import _frozen_importlib as _bi, _frozen_importlib_external as _bx
    from IPython.core.getipython import get_ipython
    ns = get_ipython().user_ns
    os.environ["LABKIT_GRADING"] = "1"
    saved = (list(sys.meta_path), list(sys.path_hooks), list(sys.path))
    status, detail, line = "passed", "", None
    try:
        for k in [k for k in sys.modules if k == "labkit" or k.startswith("labkit.")]:
            del sys.modules[k]
        sys.meta_path[:] = [_bi.BuiltinImporter, _bi.FrozenImporter, _bx.PathFinder]
        sys.path_hooks[:] = [_bx.FileFinder.path_hook(*_bx._get_supported_file_loaders())]
        sys.path[:] = [lib] + [p for p in saved[2] if p and p != lib]
        sys.path_importer_cache.clear()
        import importlib
        importlib.invalidate_caches()
        fresh = importlib.import_module("labkit")
        if not os.path.realpath(fresh.__file__).startswith(os.path.realpath(lib)):
            raise RuntimeError("labkit did not load from the grader's copy")
        core = importlib.import_module("labkit.checks._core")
        core._FORCE_GRADING = True
        for name in modules:
            parts = name.split(".")
            for n in range(len(parts), 1, -1):
                try:
                    importlib.import_module(".".join(parts[:n]))
                    break
                except ImportError:
                    continue
        ns["labkit"] = fresh
        for stmt in imports:
            exec(stmt, ns)
    except BaseException as e:
        status, detail = "error", "grader could not load labkit: %s: %s" % (type(e).__name__, e)
    if status == "passed":
        try:
            exec(compile(test_src, "<test %s>" % grade_id, "exec"), ns)
        except BaseException as e:
            tb = traceback.extract_tb(e.__traceback__)
            lines = [f.lineno for f in tb if f.filename == "<test %s>" % grade_id]
            line = lines[-1] if lines else None
            cf = getattr(sys.modules.get("labkit.checks._core"), "CheckFailed", None)
            todo = getattr(sys.modules.get("labkit.checks._core"), "TODO", "not implemented yet")
            if (cf is not None and isinstance(e, cf)) or type(e).__name__ == "CheckFailed":
                status = "not implemented" if getattr(e, "status", "") == todo else "failed"
                detail = str(e)
            elif isinstance(e, NotImplementedError):
                status, detail = "not implemented", "NotImplementedError (answer not written yet)"
            elif isinstance(e, AssertionError):
                status = "failed"
                detail = ("AssertionError: %s" % e) if str(e) else "AssertionError"
            elif isinstance(e, KeyboardInterrupt):
                status, detail = "timeout", "interrupted"
            else:
                status, detail = "error", "%s: %s" % (type(e).__name__, e)
    sys.meta_path[:], sys.path_hooks[:], sys.path[:] = saved
    sys.path_importer_cache.clear()
    return json.dumps({"token": token, "grade_id": grade_id, "status": status,
                       "detail": detail[:1500], "line": line})
'''


HOOK = "_LabkitGraderHook"

# Appended to the kernel launcher: defines the runner before any student code runs, in a private
# namespace (so names like ``exec`` resolve to the builtins, not to the student's variables), on a
# class the expression finds through ``object.__subclasses__()`` with no name lookup at all.
INSTALL = (
    "import builtins as _b, types as _t\n"
    "_d = {'__builtins__': _b, '__name__': '_labkit_grader'}\n"
    f"exec({RUNNER_SOURCE!r}, _d)\n"
    f"_hook = type({HOOK!r}, (object,), {{'run': staticmethod(_d['__labkit_grade_run'])}})\n"
    "_m = _t.ModuleType('_labkit_grader'); _m.hook = _hook; sys.modules['_labkit_grader'] = _m\n"
    "del _b, _t, _d, _hook, _m\n"
)


def expression(
    test_src: str, grade_id: str, lib: str, imports: list[str], modules: list[str], token: str
) -> str:
    """The user expression that runs one test cell (see the module docstring). It contains
    literals and attribute lookups only: no name the student's namespace could shadow."""
    args = ", ".join(repr(a) for a in (test_src, grade_id, lib, imports, modules, token))
    return (
        f"[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == {HOOK!r}][0]"
        f".run({args})"
    )
