"""A replica: one long-lived process running one service revision's functions.

Started by the server as ``python -P -m dataslot.runtime.replica`` in the unpacked package
folder, which is not on ``sys.path`` until the replica has confined itself
(``dataslot.runtime.sandbox``): no module of the package runs before that. Protocol: JSON lines. The server writes ``init`` then ``run``/``terminate`` on
standard input; the replica answers ``ready``, ``log``, ``progress`` and ``done`` on the
file descriptor that was standard output. Standard output and logging of functions are
captured per execution; a closed standard input (the server is gone) ends the process.
"""

from __future__ import annotations

import importlib.util
import inspect
import io
import json
import logging
import os
import sys
import threading
import traceback

import dataslot as dl
from dataslot import references
from dataslot.execution_state import ExecutionState, current_execution, set_current_execution
from dataslot.runtime import sandbox
from dataslot.runtime.protocol import LOG_CHUNK, MAX_TEXT, output_refusal
from dataslot.service_runner import Context, Progress


class Channel:
    def __init__(self, stream):
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, message: dict) -> None:
        data = (json.dumps(message, default=str) + "\n").encode()
        with self._lock:
            self._stream.write(data)
            self._stream.flush()


class CapturedOutput(io.TextIOBase):
    """sys.stdout for functions: text goes to the log of the execution of this thread."""

    def __init__(self, channel: Channel, fallback):
        self._channel = channel
        self._fallback = fallback

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        state = current_execution()
        if state is None:
            self._fallback.write(text)
            self._fallback.flush()
            return len(text)
        # Whole lines only: `print("epoch", 3)` is one log line, and a secret is not split
        # across two messages where redaction could not see it (only a line longer than
        # LOG_CHUNK is sent in parts).
        lines, newline, rest = (state.pending_output + text).rpartition("\n")
        if len(rest) > LOG_CHUNK:  # a line without end is sent in parts, not held without bound
            lines, newline, rest = lines + newline + rest, "", ""
        state.pending_output = rest
        self._send(state, lines + newline)
        return len(text)

    def flush_execution(self, state: ExecutionState) -> None:
        self._send(state, state.pending_output)
        state.pending_output = ""

    def _send(self, state: ExecutionState, text: str) -> None:
        # The server refuses over-long messages: long output goes in parts.
        for start in range(0, len(text), LOG_CHUNK):
            self._channel.send({"op": "log", "id": state.execution_id, "text": text[start : start + LOG_CHUNK]})


def load_runner(init: dict):
    entry = os.path.abspath(init["entryPoint"])
    sys.path.insert(0, os.getcwd())
    spec = importlib.util.spec_from_file_location("dataslot_package_entry", entry)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    cls = getattr(module, init["className"])
    return cls(**init.get("initInput", {}))


def load_entity(kind: str, ref: dict, prefetched: dict[str, dict]):
    """The entity for a reference: from the JSON the server sent with the run, else the API."""
    if kind not in references.KINDS:
        return ref
    ident = references.id_of(kind, ref)
    sent = prefetched.get(f"{kind}:{ident}")
    if sent is not None:
        return getattr(dl, kind)(sent)
    repository = {"Item": dl.items, "Annotation": dl.annotations, "Task": dl.tasks, "Dataset": dl.datasets}[kind]
    return repository.get(**{references.ID_KEYS[kind]: ident})


def build_arguments(method, inputs: list[dict], values: dict, state: ExecutionState, prefetched: dict) -> dict:
    parameters = inspect.signature(method).parameters
    kwargs = {}
    for io_ in inputs:
        if io_["name"] not in parameters or io_["name"] not in values:
            continue
        kind, value = io_["type"], values[io_["name"]]
        if kind.endswith("[]") and kind[:-2] in references.KINDS:
            kwargs[io_["name"]] = [load_entity(kind[:-2], v, prefetched) for v in value]
        elif kind in references.KINDS:
            kwargs[io_["name"]] = load_entity(kind, value, prefetched)
        else:
            kwargs[io_["name"]] = value
    if "progress" in parameters:
        kwargs["progress"] = Progress(state)
    if "context" in parameters:
        kwargs["context"] = Context(state)
    return kwargs


def to_output(value):
    """Entities are returned as references; anything else must be JSON."""
    if isinstance(value, (list, tuple)):
        return [to_output(v) for v in value]
    ref = references.reference_of(value)
    if ref is not None:
        return ref
    json.dumps(value)  # raises TypeError for what cannot be stored
    return value


class Replica:
    """Runs each execution on the thread that read its message. ``concurrency`` + 1 threads
    take turns reading the channel: the one that reads a run hands the turn on and runs it,
    so a run starts without a hop between threads (the next reader wakes while it runs),
    and a ``terminate`` is read while every run's thread is busy. Functions never run on
    the main thread (as in a pool), which only waits."""

    def __init__(self, channel: Channel, runner, concurrency: int):
        self.channel = channel
        self.runner = runner
        self.reading = threading.Lock()
        self.states: dict[int, ExecutionState] = {}
        self.threads = [
            threading.Thread(target=self._serve, name="execution", daemon=True) for _ in range(concurrency + 1)
        ]

    def start(self, stdin) -> None:
        """Before ``ready``: a replica that cannot start its threads fails to start."""
        self.stdin = stdin
        for thread in self.threads:
            thread.start()

    def wait(self) -> None:
        for thread in self.threads:
            thread.join()
        os._exit(1)  # every thread ended: none is left to read

    def _serve(self) -> None:
        while True:
            try:
                with self.reading:
                    line = self.stdin.readline()
                    if not line:
                        os._exit(0)  # the server closed our input: stop at once, running threads included
                    # Taken on the turn: a terminate read next by another thread finds its run.
                    run = self.take(json.loads(line)) if line.strip() else None
            except BaseException:  # noqa: BLE001 - a channel this cannot read ends the replica
                traceback.print_exc(file=sys.__stderr__)
                os._exit(1)
            if run is None:
                continue
            try:
                self.run(*run)
            except BaseException:  # noqa: BLE001 - run() reports the function's failures; this is its own
                traceback.print_exc(file=sys.__stderr__)
                message = "The replica failed reporting this run's end (see its logs)."
                self.channel.send({"op": "done", "id": run[0].execution_id, "status": "failed", "message": message})

    def take(self, message: dict) -> tuple[ExecutionState, dict] | None:
        """A run to start on this thread, or None (a terminate is only noted)."""
        if message["op"] == "run":
            state = ExecutionState(execution_id=message["id"], send=self.channel.send, info=message.get("context", {}))
            self.states[state.execution_id] = state
            return state, message
        if message["op"] == "terminate":
            state = self.states.get(message["id"])
            if state is not None:
                state.terminate.set()
        return None

    def run(self, state: ExecutionState, message: dict) -> None:
        set_current_execution(state)
        result = {"op": "done", "id": state.execution_id}
        try:
            method = getattr(self.runner, message["function"])
            arguments = build_arguments(
                method, message.get("inputs", []), message.get("input", {}), state, message.get("entities", {})
            )
            output = method(**arguments)
            result.update(status="success", output=to_output(output))
            refusal = output_refusal(result)
            if refusal is not None:
                result = {"op": "done", "id": state.execution_id, "status": "failed", "message": refusal}
        except InterruptedError as exc:
            result.update(status="terminated", message=_text(exc)[:MAX_TEXT] or "Terminated.")
        except BaseException as exc:  # noqa: BLE001 - every failure is the execution's, not the replica's
            sys.stdout.write(traceback.format_exc())
            result.update(status="failed", message=f"{type(exc).__name__}: {_text(exc)}"[:MAX_TEXT])
        finally:
            for stream in (sys.stdout, sys.stderr):
                if isinstance(stream, CapturedOutput):
                    stream.flush_execution(state)
            set_current_execution(None)
            self.states.pop(state.execution_id, None)
        self.channel.send(result)


def _text(exc: BaseException) -> str:
    """An exception's message; a function's exception may fail even to say it."""
    try:
        return str(exc)
    except BaseException:  # noqa: BLE001
        return "(its message could not be read)"


def confine(init: dict) -> list[str]:
    """Confine this process before any package code runs; the protections that are off."""
    if not init.get("sandbox"):
        return ["all confinement: turned off (DATASLOT_REPLICA_SANDBOX=0)"]
    return sandbox.confine(
        code_dir=os.getcwd(),
        home=os.environ.get("HOME", os.getcwd()),
        api_url=os.environ.get("DATASLOT_URL", ""),
        server_home=init.get("serverHome"),
        user=init.get("user"),
    )


def main() -> None:
    # The protocol keeps the real stdout; anything else written to fd 1 lands in stderr.
    channel = Channel(os.fdopen(os.dup(1), "wb", buffering=0))
    os.dup2(2, 1)
    sys.stdout = CapturedOutput(channel, sys.stderr)
    # A function's stderr is part of its execution's logs too (redacted by the server).
    sys.stderr = CapturedOutput(channel, sys.__stderr__)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)

    stdin = sys.stdin.buffer
    init = json.loads(stdin.readline() or "{}")
    gaps = confine(init)
    # Said before any package code runs: a package cannot report a sandbox of its own.
    channel.send({"op": "confined", "sandboxGaps": gaps})
    # Only now may the package's own modules be found (by its functions' children too).
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [os.getcwd(), os.environ.get("PYTHONPATH")]))
    try:
        runner = load_runner(init)
        replica = Replica(channel, runner, int(init.get("concurrency", 1)))
        replica.start(stdin)
    except BaseException as exc:  # noqa: BLE001
        traceback.print_exc(file=sys.stderr)
        channel.send({"op": "init-failed", "message": f"{type(exc).__name__}: {_text(exc)}"})
        os._exit(1)
    channel.send({"op": "ready", "pid": os.getpid()})
    replica.wait()


if __name__ == "__main__":
    main()
