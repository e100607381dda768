"""Runs one runtime program's Python files in this interpreter (Pyodide, in the program's own worker:
web/programs/python/worker.ts loads this file and calls start(), run() and predict()).

- The files are written under /program, which is on sys.path: they import each other as modules; the
  mainfile runs as __main__. Files of --data-dir are under /data, read-only.
- The placeholders are the main module's public names whose values have a JSON form (numbers, strings,
  bools, None, lists, tuples, dicts); the models are its objects with a predict method, and the
  functions it defines. Everything crosses to JavaScript as JSON text.
- An error is reported with the file and line of the innermost frame in the program's own files.
- `import pagebridge` gives a program log(), set_placeholder(), register_model() and session_id.
"""
import ast
import builtins
import importlib.abc
import inspect
import json
import logging
import math
import os
import sys
import traceback
import types

PROGRAM_DIR = '/program'
DATA_DIR = '/data'
# Beyond this an int loses digits as a JavaScript number: it is sent as a string, as the JavaScript
# programs' BigInts are (web/programs/values.ts).
MAX_SAFE_INT = 2**53 - 1
MAX_DEPTH = 64

# The worker's hook: post(kind, json_text) for 'log', 'placeholder' and 'model' messages.
_post = None
_session_id = 0
_models = {}
_main = None


class NoJsonForm(TypeError):
    """A value with no JSON form (a set, an object, a function …); the message says what it holds."""


def to_json(value, depth=0):
    """`value` as JSON data: tuples become lists, dict keys strings (as json.dumps makes them), NaN and
    ±inf None, ints beyond 2**53 strings. Anything else raises NoJsonForm naming what it found."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value) if -MAX_SAFE_INT <= value <= MAX_SAFE_INT else str(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if depth >= MAX_DEPTH:
        raise NoJsonForm(f'nested deeper than {MAX_DEPTH} levels')
    if isinstance(value, (list, tuple)):
        return [to_json(v, depth + 1) for v in value]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if isinstance(k, str):
                key = k
            elif k is None or isinstance(k, (bool, int, float)):
                key = json.dumps(k)  # the key json.dumps would write: 1 → "1", True → "true"
            else:
                raise NoJsonForm(f'a dict key of type {type(k).__name__}')
            out[key] = to_json(v, depth + 1)
        return out
    raise NoJsonForm(f'a value of type {type(value).__name__}')


def to_json_text(value):
    return json.dumps(to_json(value), allow_nan=False, separators=(',', ':'))


def _send(kind, payload):
    if _post is not None:
        _post(kind, json.dumps(payload, separators=(',', ':')))


def _is_model(value):
    if isinstance(value, type) or isinstance(value, types.ModuleType):
        return False
    if callable(getattr(value, 'predict', None)):
        return True
    # A function the main file defines (not one it imported).
    return isinstance(value, types.FunctionType) and value.__module__ == '__main__'


def _in_program(filename):
    return isinstance(filename, str) and filename.startswith(PROGRAM_DIR + '/')


def _shown(filename):
    """A file name as the client knows it: relative to the program's folder."""
    return filename[len(PROGRAM_DIR) + 1:] if _in_program(filename) else filename


# ── the in-program API: import pagebridge ────────────────────────────────────────────────────────
def log(*args, sep=' '):
    """A line in the program's log (print() works too)."""
    _send('log', {'line': sep.join(str(a) for a in args)})


def set_placeholder(name, value):
    """Sets a placeholder now (progress while running); the main module's names are read at the end."""
    try:
        converted = to_json(value)
    except NoJsonForm as err:
        raise TypeError(f'set_placeholder({name!r}, …): the value has no JSON form ({err})') from None
    _send('placeholder', {'name': str(name), 'value': converted})


def register_model(name, model):
    """Makes `model` (an object with predict(data), or a function) usable by run_model under `name`."""
    if not (callable(getattr(model, 'predict', None)) or callable(model)):
        raise TypeError('register_model(name, model): model must have a predict method or be callable')
    _models[str(name)] = model
    _send('model', {'name': str(name)})


_api = types.ModuleType('pagebridge', 'What a runtime program may use of the page: log, placeholders, models.')
_api.log = log
_api.set_placeholder = set_placeholder
_api.register_model = register_model
sys.modules['pagebridge'] = _api


# ── imports that cannot work here ────────────────────────────────────────────────────────────────
# Modules of CPython's standard library that Pyodide's build leaves out.
NOT_IN_PYODIDE = {'tkinter', 'turtle', 'turtledemo', 'idlelib', 'curses', 'readline', 'dbm', 'venv', 'ensurepip', 'lib2to3'}


class _NoPackages(importlib.abc.MetaPathFinder):
    """Last on sys.meta_path: a top-level module nobody found gets an error that says why."""

    def find_spec(self, fullname, path=None, target=None):
        if path is not None or '.' in fullname:
            return None
        version = f'{sys.version_info.major}.{sys.version_info.minor}'
        if fullname in NOT_IN_PYODIDE:
            why = f"'{fullname}' is one of the standard library modules that Pyodide's build of Python {version} leaves out"
        else:
            why = (f"Python programs here have the standard library of Python {version} only (Pyodide's core, which "
                   'the bridge serves from its npm package). Packages such as numpy or pandas cannot be installed: a '
                   'program has no network, and no package ships with the bridge')
        err = ModuleNotFoundError(f"No module named '{fullname}': {why}", name=fullname)
        err._PYODIDE_ADDED_NOTE = True  # Pyodide's own note would tell to install it from its CDN
        raise err


# ── running the program ──────────────────────────────────────────────────────────────────────────
def _write(root, relative, data, mode):
    path = os.path.normpath(os.path.join(root, relative))
    if not path.startswith(root + '/'):
        raise ValueError(f'the file name {relative!r} leads out of {root}')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb' if isinstance(data, bytes) else 'w', encoding=None if isinstance(data, bytes) else 'utf-8') as f:
        f.write(data)
    if mode is not None:
        os.chmod(path, mode)
    return path


def _read_only_tree(root):
    for folder, dirs, files in os.walk(root, topdown=False):
        for name in files:
            os.chmod(os.path.join(folder, name), 0o444)
        os.chmod(folder, 0o555)


def start(post, session_id):
    """Connects this module to its worker; called once, before run()."""
    global _post, _session_id
    _post = post
    _session_id = session_id
    _api.session_id = session_id
    sys.meta_path.append(_NoPackages())
    # print() and logging both reach the log; a program's own basicConfig() still applies.
    logging.basicConfig(level=logging.INFO, format='%(levelname)s:%(name)s:%(message)s')
    original = logging.basicConfig

    def basic_config(**kwargs):
        kwargs.setdefault('force', True)
        original(**kwargs)
    logging.basicConfig = basic_config


def error_report(err):
    """What status says of an error: name, message, the program's file and line, its traceback."""
    frames = [f for f in traceback.extract_tb(err.__traceback__) if _in_program(f.filename)]
    report = {'name': type(err).__name__, 'message': str(err)}
    if isinstance(err, SyntaxError):
        report['message'] = err.msg or str(err)
        if _in_program(err.filename or ''):
            report['file'] = _shown(err.filename)
            if err.lineno:
                report['line'] = err.lineno
            if err.offset:
                report['column'] = err.offset
    elif frames:
        report['file'] = _shown(frames[-1].filename)
        report['line'] = frames[-1].lineno
    if isinstance(err, SystemExit):
        report['message'] = f'the program called sys.exit({err.code!r})'
    lines = ['Traceback (most recent call last):\n'] if frames else []
    lines += traceback.format_list(frames) + traceback.format_exception_only(type(err), err)
    report['stack'] = ''.join(lines).replace(PROGRAM_DIR + '/', '').rstrip('\n')
    return report


def _collect():
    """The main module's placeholders (JSON text each) and models, once it has run (or was stopped)."""
    placeholders = {}
    for name, value in list(vars(_main).items()) if _main is not None else []:
        if name.startswith('_'):
            continue
        if _is_model(value):
            _models.setdefault(name, value)
            continue
        if isinstance(value, (types.ModuleType, type)) or callable(value):
            continue
        try:
            placeholders[name] = to_json_text(value)
        except (NoJsonForm, ValueError, RecursionError):
            pass  # no JSON form: left out of the placeholders (docs/runtime.md says so)
    return placeholders


async def run(files, mainfile, data_files):
    """Runs the program: `files` is a list of (filename, content), `data_files` of (relative path, bytes).
    Answers JSON text: {"status": "finished"|"failed"|"interrupted", "placeholders", "models", "error"?}."""
    global _main
    try:
        for filename, content in files:
            _write(PROGRAM_DIR, filename, content, None)
        os.makedirs(DATA_DIR, exist_ok=True)
        for relative, data in data_files:
            _write(DATA_DIR, relative, bytes(data), None)
        _read_only_tree(DATA_DIR)
        sys.path.insert(0, PROGRAM_DIR)
        os.chdir(PROGRAM_DIR)
        path = os.path.join(PROGRAM_DIR, os.path.normpath(mainfile))
        _main = types.ModuleType('__main__')
        _main.__file__ = path
        _main.__builtins__ = builtins
        sys.modules['__main__'] = _main
        with open(path, encoding='utf-8') as f:
            source = f.read()
        code = compile(source, path, 'exec', flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
        result = eval(code, vars(_main))
        if inspect.iscoroutine(result):
            await result
        status, error = 'finished', None
    except KeyboardInterrupt as err:
        status, error = 'interrupted', error_report(err)
    except SystemExit as err:
        status, error = ('finished', None) if err.code in (None, 0) else ('failed', error_report(err))
    except BaseException as err:  # noqa: BLE001 — every error of the program is its status
        status, error = 'failed', error_report(err)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    placeholders = _collect()
    answer = {'status': status, 'placeholders': placeholders, 'models': list(_models)}
    if error is not None:
        answer['error'] = error
    return json.dumps(answer, separators=(',', ':'))


async def predict(name, data_json, data_bytes=None):
    """Runs model `name` on the data (JSON text, or bytes for an image file); answers JSON text of
    {"value": …} or {"error": "…"}."""
    model = _models.get(name)
    if model is None:
        return json.dumps({'error': f"the program defined no model {name!r} (models: {', '.join(_models) or 'none'})"})
    try:
        data = bytes(data_bytes) if data_bytes is not None else json.loads(data_json)
        fn = model.predict if callable(getattr(model, 'predict', None)) else model
        value = fn(data)
        if inspect.isawaitable(value):
            value = await value
        try:
            return json.dumps({'value': to_json(value)}, allow_nan=False)
        except NoJsonForm as err:
            return json.dumps({'error': f'the model {name!r} answered {err}, which has no JSON form'})
    except BaseException as err:  # noqa: BLE001
        report = error_report(err)
        where = f" ({report['file']}:{report['line']})" if 'line' in report else ''
        return json.dumps({'error': f"{report['name']}: {report['message']}{where}"})
