"""What the runner writes when things go wrong: a reset acts only on what it read under the
row's lock (two sweepers, or a sweep and a run's own result, never both apply to one
execution: platform/runner/workers.py), a result the database refuses fails alone, a claimed
execution that never reached a replica is queued again, and a host's own trouble starting
replicas breaks no service for the other workers."""

import errno
import os
import selectors
import threading
import time
from datetime import timedelta

import pytest
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from faas.models import Execution, ExecutionLog, Service
from faas.representations import execution_json
from faas.services import executions as executions_module
from faas.services.executions import execution_create, execution_progress, execution_reset, executions_claim
from runner import dispatcher as dispatcher_module
from runner import replicas, tasks
from runner.dispatcher import Dispatcher
from runner.models import Worker
from runner.offers import UNABLE_FOR, Offer, WorkerDispatcher, refusals
from runner.replicas import STDERR_LINE, ReplicaProcess, Run
from runner.workers import leases_sweep, live_workers, requeue_sweep, worker_register
from tests.faas.test_validation import owner, push  # noqa: F401 - owner is a fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def _service(owner) -> Service:  # noqa: F811
    client, project = owner
    package = push(client, project).json()
    created = client.post(f"/api/projects/{project.id}/services/", {"name": "svc", "packageId": package["id"]})
    return Service.objects.get(pk=created.json()["id"])


def test_a_reset_waits_for_a_concurrent_change_and_then_leaves_the_execution_alone(owner):  # noqa: F811
    if connection.vendor != "postgresql":
        pytest.skip("a row lock is PostgreSQL's; SQLite's writers already take turns (BEGIN IMMEDIATE)")
    service = _service(owner)
    execution = execution_create(service=service, function_name="count", input={"n": 1})
    assert executions_claim(service=service, limit=1, holder="w1", only=[execution.pk])

    locked, release = threading.Event(), threading.Event()

    def result_written_meanwhile():
        # What a result (or another sweeper) does to the row while this reset reads it.
        try:
            with transaction.atomic():
                row = Execution.objects.select_for_update().get(pk=execution.pk)
                locked.set()
                release.wait(5)
                row.status, row.message, row.holder = "success", "done", ""
                row.save()
        finally:
            connection.close()

    other = threading.Thread(target=result_written_meanwhile)
    other.start()
    assert locked.wait(5)
    threading.Timer(0.3, release.set).start()
    assert execution_reset(execution_id=execution.pk, holder="w1", reason="Its worker stopped answering.") is None
    other.join(10)
    ended = Execution.objects.get(pk=execution.pk)
    assert (ended.status, ended.message) == ("success", "done")


def test_a_result_the_database_refuses_fails_alone_and_the_others_are_written(owner):  # noqa: F811
    service = _service(owner)
    dispatcher = Dispatcher(name="finishing")
    first, second = (execution_create(service=service, function_name="count", input={"n": n}) for n in (1, 2))
    claimed = executions_claim(service=service, limit=2, holder=dispatcher.worker_id, only=[first.pk, second.pk])
    assert len(claimed) == 2
    # A lone surrogate no database driver encodes (the replica channel's clean() removes
    # them; this is the guard behind it): one refused result must not hold the others.
    refused = {"id": first.pk, "status": "success", "output": None, "message": "\ud800"}
    dispatcher._finish([refused, {"id": second.pk, "status": "success", "output": 2, "message": ""}])
    failed, written = Execution.objects.get(pk=first.pk), Execution.objects.get(pk=second.pk)
    assert failed.status == "failed" and "could not be stored" in failed.message
    assert (written.status, written.output) == ("success", 2)


def test_a_run_held_in_the_database_that_its_dispatcher_lost_track_of_follows_on_reset(owner):  # noqa: F811
    # A database error in the middle of a reset or a hand-out can leave a run held by a live
    # dispatcher that no longer runs it; nobody else would reset it while its lease lives.
    service = _service(owner)
    dispatcher = Dispatcher(name="reconciling")
    lost, pending = (execution_create(service=service, function_name="count", input={"n": n}) for n in (1, 2))
    assert len(executions_claim(service=service, limit=2, holder=dispatcher.worker_id, only=[lost.pk, pending.pk]))
    dispatcher.results = [{"id": pending.pk, "status": "success", "output": 2, "message": ""}]  # not yet written
    dispatcher._reconcile()
    reset, untouched = Execution.objects.get(pk=lost.pk), Execution.objects.get(pk=pending.pk)
    assert reset.status == "failed" and "database error" in reset.message
    assert untouched.status == "in-progress"


def test_progress_changes_only_a_run_its_holder_still_holds_and_announces_what_the_database_says(
    owner,  # noqa: F811
    monkeypatch,
):
    service = _service(owner)
    running, reset = (execution_create(service=service, function_name="count", input={"n": n}) for n in (1, 2))
    assert len(executions_claim(service=service, limit=2, holder="w1", only=[running.pk, reset.pk])) == 2
    execution_reset(execution_id=reset.pk, holder="w1", reason="Its worker stopped answering.")
    announced = []
    monkeypatch.setattr(executions_module, "announce", announced.append)

    # A report that comes after the run was reset, or from a holder that no longer holds
    # it, changes nothing and announces nothing.
    assert execution_progress(execution_id=reset.pk, holder="w1", percent=50, message="half") is None
    assert execution_progress(execution_id=running.pk, holder="w0", percent=10, message="late") is None
    after_reset = Execution.objects.get(pk=reset.pk)
    assert (after_reset.status, after_reset.message, after_reset.percent_complete) == (
        "failed",
        "Its worker stopped answering.",
        0,
    )
    assert announced == []

    progressed = execution_progress(execution_id=running.pk, holder="w1", percent=150, message="x" * 3000)
    stored = Execution.objects.select_related("service", "creator", "worker").get(pk=running.pk)
    assert (stored.percent_complete, stored.message) == (100, "x" * 2000)
    assert announced == [progressed]
    assert execution_json(progressed) == execution_json(stored)  # its event says what the API says


class ChannelReplica(ReplicaProcess):
    """A replica whose messages the test writes: one read hands the dispatcher all of them."""

    def __init__(self, service):
        self.service_id, self.config_version, self.concurrency = service.id, service.config_version, 2
        self.ready = self.confined = self.init_failed = False
        self.draining_since, self.runs, self.rejected, self.taken, self.idle_since = None, {}, 0, 0, None
        read_end, self.write_end = os.pipe()
        self.process = type("Process", (), {"stdout": os.fdopen(read_end, "rb"), "stderr": None, "pid": 0})()
        self.process.poll = lambda: None
        self.inbox = []

    def read(self):
        os.read(self.process.stdout.fileno(), 100)
        messages, self.inbox = self.inbox, []
        return messages

    def send_all(self, *messages):
        self.inbox.extend(messages)
        os.write(self.write_end, b"!")


def test_messages_read_with_one_a_database_error_interrupted_are_applied_on_the_next_turn(
    owner,  # noqa: F811
    monkeypatch,
):
    service = _service(owner)
    dispatcher = Dispatcher(name="applying")
    monkeypatch.setattr(dispatcher, "schedule", lambda: None)
    ok, broken = (execution_create(service=service, function_name="count", input={"n": n}) for n in (1, 2))
    assert len(executions_claim(service=service, limit=2, holder=dispatcher.worker_id, only=[ok.pk, broken.pk])) == 2
    replica = ChannelReplica(service)
    dispatcher.replicas[service.id].append(replica)
    dispatcher.selector.register(replica.process.stdout, selectors.EVENT_READ, (replica, "stdout"))
    for execution in (ok, broken):
        replica.runs[execution.pk] = Run(execution.pk, time.monotonic() + 3600, 3600)
    blips = []

    def noted_once_the_database_answers(*args):
        if not blips:
            blips.append(1)
            raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(dispatcher_module, "note_sandbox_gaps", noted_once_the_database_answers)
    replica.send_all(
        {"op": "confined", "sandboxGaps": []},
        {"op": "ready"},
        {"op": "progress", "id": broken.pk, "percent": 40, "message": "almost"},
        {"op": "done", "id": ok.pk, "status": "success", "output": 1, "message": ""},
        {"op": "done", "id": broken.pk, "status": "failed", "message": "ValueError: no"},
    )
    with pytest.raises(OperationalError):
        dispatcher.step()  # the run_forever loop reconnects and goes on
    dispatcher.step()

    assert (replica.confined, replica.ready, replica.rejected, replica.runs) == (True, True, 0, {})
    ended = {e.pk: e for e in Execution.objects.filter(pk__in=[ok.pk, broken.pk])}
    assert (ended[ok.pk].status, ended[ok.pk].output, ended[ok.pk].percent_complete) == ("success", 1, 100)
    # The last progress, never written while it ran, is written with the end.
    assert (ended[broken.pk].status, ended[broken.pk].percent_complete) == ("failed", 40)


def test_a_long_stderr_line_is_never_cut_inside_a_secret():
    # What drain_stderr writes of a line too long to wait for ends before any secret that
    # would straddle the cut: redaction sees each secret whole, in one write or the next.
    replica = ReplicaProcess.__new__(ReplicaProcess)  # only its secrets matter here
    replica.secret_values = ["hunter2-secret", "token-abc"]
    for offset in range(-20, 5):
        line = bytearray(b"x" * (STDERR_LINE + offset) + b"hunter2-secret" + b"token-abc" + b"y" * 3)
        cut = replica._cut_between_secrets(line)
        for secret in (b"hunter2-secret", b"token-abc"):
            start = line.find(secret)
            assert not (start < cut < start + len(secret)), (offset, cut)
        assert cut <= len(line) - len(b"hunter2-secret")


def test_a_services_log_stops_at_its_limit_with_one_line_saying_so(tmp_path, monkeypatch):
    monkeypatch.setattr(replicas, "SERVICE_LOG_LIMIT", 10_000)
    replica = ReplicaProcess.__new__(ReplicaProcess)
    replica.log, replica._log_full = open(tmp_path / "service.log", "ab"), False
    for _ in range(5):
        replica._write_log(b"x" * 4000)
    replica.log.close()
    written = (tmp_path / "service.log").read_bytes()
    assert written.startswith(b"x" * 8000) and written.count(b"x" * 4000) == 2
    assert written.endswith(b"what this replica writes from now on is dropped.\n")
    assert len(written) < 10_000


class RoomyReplica:
    """What a hand-out reads of a replica: room, and what runs on it (nothing reaches it)."""

    free, runs = 2, {}


def test_a_claimed_execution_that_never_reached_a_replica_is_queued_again_whatever_its_on_reset(
    owner,  # noqa: F811
    monkeypatch,
):
    service = _service(owner)
    assert service.on_reset == "failed"  # a reset would fail it
    dispatcher = Dispatcher(name="handing")
    dispatcher.replicas[service.id] = [RoomyReplica()]
    queued, terminating = (execution_create(service=service, function_name="count", input={"n": n}) for n in (1, 2))

    def hand_out_cut_off(service, claimed, sent):
        Execution.objects.filter(pk=terminating.pk).update(to_terminate=True)  # asked for meanwhile
        raise OperationalError("the connection to the database was lost")

    monkeypatch.setattr(dispatcher, "_assign", hand_out_cut_off)
    dispatcher._claim(service)

    again = Execution.objects.get(pk=queued.pk)
    assert (again.status, again.attempts, again.holder, again.started_at) == ("created", 0, "", None)
    assert [entry["status"] for entry in again.status_log] == ["created", "in-progress", "created"]
    assert again.message.endswith("It had not started: queued again.")
    ended = Execution.objects.get(pk=terminating.pk)
    assert (ended.status, ended.message) == ("terminated", "Terminated before it started.")


def test_an_execution_that_reached_a_replica_since_lost_follows_on_reset_and_is_never_released(
    owner,  # noqa: F811
    monkeypatch,
):
    service = _service(owner)
    dispatcher = Dispatcher(name="handing")
    dispatcher.replicas[service.id] = [RoomyReplica()]
    reached, never = (execution_create(service=service, function_name="count", input={"n": n}) for n in (1, 2))

    def first_sent_then_its_replica_lost(service, claimed, sent):
        sent.add(reached.pk)  # its message reached a replica, which was then lost...
        raise OperationalError("database is locked")  # ...and resetting its runs failed

    monkeypatch.setattr(dispatcher, "_assign", first_sent_then_its_replica_lost)
    dispatcher._claim(service)
    assert Execution.objects.get(pk=reached.pk).status == "failed"  # it may have run: on_reset='failed'
    assert Execution.objects.get(pk=never.pk).status == "created"


class DeafReplica(RoomyReplica):
    """Reported ready, then stopped reading: no message reaches it."""

    service_id, config_version, taken = None, 1, 0

    def start(self, execution_id, timeout, message):
        return False


def test_a_replica_that_takes_no_first_run_breaks_its_service_instead_of_looping(owner, monkeypatch):  # noqa: F811
    service = _service(owner)
    dispatcher = Dispatcher(name="handing")
    deaf = DeafReplica()
    deaf.service_id, deaf.config_version = service.id, service.config_version
    dispatcher.replicas[service.id] = [deaf]
    monkeypatch.setattr(dispatcher, "lost", lambda replica, reason: dispatcher.replicas[service.id].remove(replica))
    execution = execution_create(service=service, function_name="count", input={"n": 1})
    dispatcher._claim(service)
    assert Execution.objects.get(pk=execution.pk).status == "created"  # it did not run: queued again
    # Marked broken on the next look (as a replica that dies while starting), not started again and again.
    assert dispatcher.broken == {
        (service.id, service.config_version): "its replica stopped reading before its first run."
    }


def test_a_host_out_of_processes_breaks_no_service_and_starts_its_replica_later(owner, monkeypatch):  # noqa: F811
    service = _service(owner)
    execution = execution_create(service=service, function_name="count", input={"n": 1})
    tries = []

    def no_room(service, api_url):
        tries.append(service.id)
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(dispatcher_module, "start_replica", no_room)
    dispatcher = Dispatcher(name="busy")
    dispatcher.queued.add(service.id)
    dispatcher._schedule_service(service, queued=1)
    dispatcher._schedule_service(service, queued=1)  # within the back-off: not tried again
    assert tries == [service.id]
    service.refresh_from_db()
    assert service.broken_reason == ""
    assert Execution.objects.get(pk=execution.pk).status == "created"  # it waits for a replica

    dispatcher.host_busy_until[service.id] = time.monotonic()  # the back-off has passed
    dispatcher._schedule_service(service, queued=1)
    assert tries == [service.id, service.id]


def test_a_worker_that_cannot_start_a_replica_fails_only_what_it_was_offered(owner, monkeypatch):  # noqa: F811
    service = _service(owner)
    offered, elsewhere = (execution_create(service=service, function_name="count", input={"n": n}) for n in (1, 2))

    monkeypatch.setattr(dispatcher_module, "start_replica", unopenable_log)
    dispatcher = WorkerDispatcher(name="this-host")
    dispatcher.services = {service.id: service}
    offer = dispatcher.offer(offered.pk, service_id=service.id, config_version=service.config_version)
    dispatcher._ingest()
    dispatcher.queued = {service.id}
    dispatcher._hand_out()

    assert offer.outcome == Offer.CLAIMED  # settled: nothing goes back to the broker
    failed = Execution.objects.get(pk=offered.pk)
    assert (failed.status, failed.message) == ("failed", "Its replica could not be started: Is a directory.")
    # It never ran: no attempt is counted, and its log goes from queued to failed.
    assert failed.attempts == 0 and [e["status"] for e in failed.status_log] == ["created", "failed"]
    assert failed.holder == dispatcher.worker_id and failed.finished_at is not None
    service.refresh_from_db()
    assert service.broken_reason == ""  # other workers still run it
    assert Execution.objects.get(pk=elsewhere.pk).status == "created"

    # With no other worker, the next offer is tried again before it fails (the trouble may
    # have passed): one passing failure does not fail the service's executions for a while.
    tries = []
    monkeypatch.setattr(dispatcher_module, "start_replica", lambda *a, **k: tries.append(1) or unopenable_log(*a, **k))
    dispatcher.offer(elsewhere.pk, service_id=service.id, config_version=service.config_version)
    dispatcher._ingest()
    dispatcher.queued = {service.id}
    dispatcher._hand_out()
    assert tries == [1] and Execution.objects.get(pk=elsewhere.pk).status == "failed"


def test_beside_a_live_worker_what_this_one_cannot_start_goes_back_naming_it_and_is_not_tried_again(
    owner,  # noqa: F811
    monkeypatch,
):
    service = _service(owner)
    first, second, third = (execution_create(service=service, function_name="count", input={"n": n}) for n in (1, 2, 3))
    tries = []

    def unopenable(service, api_url):
        tries.append(service.id)
        unopenable_log(service, api_url)

    monkeypatch.setattr(dispatcher_module, "start_replica", unopenable)
    worker_register(worker_id="healthy", name="healthy", executor="celery")
    dispatcher = WorkerDispatcher(name="this-host")
    dispatcher.services = {service.id: service}
    hint = {"service_id": service.id, "config_version": service.config_version}

    def hand_out(execution, refused=()):
        offer = dispatcher.offer(execution.pk, **hint, refused=list(refused))
        dispatcher._ingest()
        dispatcher.queued = {service.id}
        dispatcher._hand_out()
        return offer

    offer = hand_out(first)
    assert offer.outcome == Offer.REFUSED  # the healthy worker may run it: back to the broker
    assert Execution.objects.get(pk=first.pk).status == "created"
    assert service.id in dispatcher.unable

    # While it cannot: refused at once, without starting a replica again.
    assert hand_out(second).outcome == Offer.REFUSED
    assert tries == [service.id]
    # The other worker refused it longer ago than it stays away from a service: it would
    # try again, so the message goes back for it.
    assert hand_out(third, refused=[["healthy", time.time() - UNABLE_FOR - 1]]).outcome == Offer.REFUSED
    assert tries == [service.id]
    # Every other live worker refused it lately too: tried here again (the trouble may have
    # passed), then it fails here, with the reason.
    assert hand_out(third, refused=[["healthy", time.time() - 1]]).outcome == Offer.CLAIMED
    assert tries == [service.id, service.id]
    failed = Execution.objects.get(pk=third.pk)
    assert (failed.status, failed.message) == ("failed", "Its replica could not be started: Is a directory.")
    assert [Execution.objects.get(pk=e.pk).status for e in (first, second)] == ["created", "created"]
    service.refresh_from_db()
    assert service.broken_reason == ""


def unopenable_log(service, api_url):
    """What starting a replica raises when this host's log file for it cannot be opened."""
    raise OSError(errno.EISDIR, "Is a directory")


class RunningReplica:
    """A replica of the service's current config already running on this worker, with room for one."""

    concurrency, draining_since, init_failed, ready, idle_since, taken = 1, None, False, True, None, 0

    def __init__(self, service):
        self.service_id, self.config_version, self.runs = service.id, service.config_version, {}

    @property
    def free(self):
        return self.concurrency - len(self.runs)

    def start(self, execution_id, timeout, message):
        self.runs[execution_id] = message
        return True


def test_a_worker_that_cannot_start_another_replica_still_runs_what_its_replicas_have_room_for(
    owner,  # noqa: F811
    monkeypatch,
):
    service = Service.objects.get(pk=_service(owner).pk)
    Service.objects.filter(pk=service.pk).update(num_replicas=2)
    service.refresh_from_db()
    first, second = (execution_create(service=service, function_name="count", input={"n": n}) for n in (1, 2))
    monkeypatch.setattr(dispatcher_module, "start_replica", unopenable_log)
    dispatcher = WorkerDispatcher(name="this-host")
    dispatcher.services = {service.id: service}
    dispatcher.replicas[service.id] = [RunningReplica(service)]
    offers = [
        dispatcher.offer(e.pk, service_id=service.id, config_version=service.config_version) for e in (first, second)
    ]
    dispatcher._ingest()
    dispatcher.queued = {service.id}
    dispatcher._hand_out()

    assert [offer.outcome for offer in offers] == [Offer.CLAIMED, None]  # the second waits for room
    assert [Execution.objects.get(pk=e.pk).status for e in (first, second)] == ["in-progress", "created"]
    service.refresh_from_db()
    assert service.broken_reason == ""


def _warm_worker(owner):  # noqa: F811
    """A worker's dispatcher that looked at the database just now and runs a replica of the
    service with room for one, four queued executions, and the hint their messages carry."""
    service = _service(owner)
    executions = tuple(execution_create(service=service, function_name="count", input={"n": n}) for n in range(4))
    dispatcher = WorkerDispatcher(name="this-host")
    dispatcher.thread = threading.current_thread()  # alive: its loop is not needed here
    dispatcher.services = {service.id: service}
    replica = RunningReplica(service)
    dispatcher.replicas[service.id] = [replica]
    dispatcher._last_look = time.monotonic()
    return (
        service,
        executions,
        dispatcher,
        replica,
        {"service_id": service.id, "config_version": service.config_version},
    )


def test_an_offer_of_a_service_running_here_with_room_is_claimed_on_its_messages_thread(owner):  # noqa: F811
    service, (first, second, third, fourth), dispatcher, replica, hint = _warm_worker(owner)

    def woken() -> bool:
        try:
            return bool(os.read(dispatcher._wake_r, 4096))
        except BlockingIOError:
            return False

    # Room on a replica of the config its message names: claimed and handed out at once,
    # and the dispatcher thread is not woken.
    offer = dispatcher.offer(first.pk, **hint)
    assert offer.outcome == Offer.CLAIMED and list(replica.runs) == [first.pk]
    assert Execution.objects.get(pk=first.pk).status == "in-progress" and not woken()

    # No room: it waits, offered, and the dispatcher is woken for it.
    offer = dispatcher.offer(second.pk, **hint)
    assert offer.outcome is None and woken() and list(dispatcher.offers) == [second.pk]
    replica.runs.clear()

    # The dispatcher's turn is taken (it is applying what replicas said): left to it.
    with dispatcher.turn:
        offer = dispatcher.offer(third.pk, **hint)
    assert offer.outcome is None and woken()

    # The dispatcher has not looked at the database lately (a pause, an update may have
    # come): left to it, and the offers waiting ahead are not overtaken.
    dispatcher._last_look -= 60
    offer = dispatcher.offer(fourth.pk, **hint)
    assert offer.outcome is None and woken()
    assert [Execution.objects.get(pk=e.pk).status for e in (second, third, fourth)] == ["created"] * 3


def test_a_message_claimed_on_receipt_is_claimed_at_once_or_leaves_nothing_behind(owner):  # noqa: F811
    # The thread that receives messages claims what it can at once; anything else goes on as a
    # task, which offers it: nothing may be left offered twice, nor waited for.
    service, (first, second, third, fourth), dispatcher, replica, hint = _warm_worker(owner)

    def left_behind() -> bool:
        try:
            woken = bool(os.read(dispatcher._wake_r, 4096))
        except BlockingIOError:
            woken = False
        return woken or bool(dispatcher.offers) or bool(dispatcher._incoming)

    assert dispatcher.claim_now(first.pk, **hint) == Offer.CLAIMED
    assert list(replica.runs) == [first.pk] and Execution.objects.get(pk=first.pk).status == "in-progress"
    assert not left_behind()

    # Claimed already (a message delivered twice): done with, nothing claimed again.
    replica.runs.clear()
    assert dispatcher.claim_now(first.pk, **hint) == Offer.NOT_CLAIMABLE
    assert not replica.runs and not left_behind()

    # No room, the dispatcher's turn taken, a config this worker does not run, no hint, or
    # no recent look: not now, and nothing is left offered.
    replica.runs[first.pk] = {}
    assert dispatcher.claim_now(second.pk, **hint) is None
    replica.runs.clear()
    with dispatcher.turn:
        assert dispatcher.claim_now(second.pk, **hint) is None
    assert dispatcher.claim_now(second.pk, service_id=service.id, config_version=service.config_version + 1) is None
    assert dispatcher.claim_now(second.pk, service_id=None, config_version=None) is None
    dispatcher._last_look -= 60
    assert dispatcher.claim_now(second.pk, **hint) is None
    assert not left_behind() and not replica.runs
    assert [Execution.objects.get(pk=e.pk).status for e in (second, third, fourth)] == ["created"] * 3

    # A look at the database that failed (it went away) is not a look: until one gets
    # through, messages go on as tasks rather than wait on it on the receiving thread.
    def unreachable():
        raise OperationalError("the database went away")

    dispatcher._last_look -= 60
    dispatcher._record_start_failures = unreachable
    with pytest.raises(OperationalError):
        dispatcher._look()
    assert dispatcher.claim_now(second.pk, **hint) is None and not left_behind()
    del dispatcher._record_start_failures
    dispatcher._look()
    assert dispatcher.claim_now(second.pk, **hint) == Offer.CLAIMED
    replica.runs.clear()

    # What another thread offered meanwhile is not taken back with it.
    dispatcher._last_look = time.monotonic()
    replica.concurrency = 0
    waiting = dispatcher.offer(third.pk, **hint)
    assert dispatcher.claim_now(fourth.pk, **hint) is None
    assert list(dispatcher.offers) == [third.pk] and dispatcher.offers[third.pk] == [waiting]


def test_behind_a_backlog_the_sweep_publishes_again_only_what_was_published_before_a_message_since_taken(
    owner,  # noqa: F811
):
    service = _service(owner)
    waiting, lost, held = (execution_create(service=service, function_name="count", input={"n": n}) for n in (1, 2, 3))
    now = timezone.now()
    # Untouched for 40 s: behind a backlog on the broker, or lost? `held` was published 100 s
    # ago and held by a worker since (its heartbeat touching it) until its claim just now.
    Execution.objects.filter(pk=waiting.pk).update(
        enqueued_at=now - timedelta(seconds=40), published_at=now - timedelta(seconds=40)
    )
    Execution.objects.filter(pk=lost.pk).update(
        enqueued_at=now - timedelta(seconds=200), published_at=now - timedelta(seconds=200)
    )
    Execution.objects.filter(pk=held.pk).update(enqueued_at=now, published_at=now - timedelta(seconds=100))
    assert executions_claim(service=service, limit=1, holder="w1", only=[held.pk])

    assert requeue_sweep(lambda: False) == 1  # messages still wait on the broker
    stamped = dict(Execution.objects.filter(pk__in=[waiting.pk, lost.pk]).values_list("id", "published_at"))
    # Published before `held` was (and more than DATASLOT_REQUEUE_AFTER before): it would have
    # been taken first, so it is lost. `waiting` was published after: it still waits.
    assert stamped[lost.pk] > now - timedelta(seconds=5)
    assert stamped[waiting.pk] == now - timedelta(seconds=40)

    assert requeue_sweep(lambda: True) == 1  # the queue is empty: what is left untouched is lost


def test_a_sweep_never_resets_its_own_dispatchers_runs_nor_a_worker_that_came_back(owner):  # noqa: F811
    service = _service(owner)
    mine, theirs = (execution_create(service=service, function_name="count", input={"n": n}) for n in (1, 2))
    for holder, execution in (("own", mine), ("late", theirs)):
        worker_register(worker_id=holder, name=holder, executor="embedded")
        assert executions_claim(service=service, limit=1, holder=holder, only=[execution.pk])
    # Both heartbeats are older than the lease: the database was busy, say (SQLite's lock
    # held by a large batch), not the workers gone.
    Worker.objects.update(heartbeat_at=timezone.now() - timedelta(hours=1))

    # The sweeping dispatcher is alive by definition: its own runs are not reset.
    assert leases_sweep(own="own") == 1
    assert Execution.objects.get(pk=mine.pk).status == "in-progress"
    assert Execution.objects.get(pk=theirs.pk).status == "failed"

    # A reset checks again, under the row's lock, that the holder has not come back.
    Worker.objects.filter(pk="own").update(heartbeat_at=timezone.now())
    again = execution_reset(execution_id=mine.pk, holder="own", reason="lost", unless_held_by=live_workers())
    assert again is None and Execution.objects.get(pk=mine.pk).status == "in-progress"


def test_log_lines_of_an_execution_deleted_meanwhile_are_dropped_and_hold_up_nothing(owner):  # noqa: F811
    # Its service deleted while it ran: storing its lines fails on every try, and must not
    # stop the dispatcher (every other service on the host) nor take the others' lines.
    service = _service(owner)
    dispatcher = Dispatcher(name="logging")
    gone, kept = (execution_create(service=service, function_name="count", input={"n": n}) for n in (1, 2))
    dispatcher.logs = [(gone.pk, "a\n"), (kept.pk, "b\n")]
    Execution.objects.filter(pk=gone.pk).delete()
    dispatcher.flush()
    assert dispatcher.logs == []
    assert list(ExecutionLog.objects.filter(execution_id=kept.pk).values_list("text", flat=True)) == ["b\n"]


def test_a_dispatcher_uses_its_database_connection_on_its_turn_only(monkeypatch):
    """A scale-out worker's message threads claim with the dispatcher thread's connection,
    on its turn: the dispatcher's start, its recovery from a failed step and its stop hold
    the turn too, so that no claim runs on a connection being closed or used beside it."""
    dispatcher = Dispatcher(name="this-host")
    seen = []

    def note(what):
        return lambda *args, **kwargs: seen.append((what, dispatcher.turn.locked()))

    class Stub:
        def start(self):
            seen.append(("lease/pump start", dispatcher.turn.locked()))
            return self

        stop = note("lease/pump stop")

    steps = iter([OperationalError("the database went away"), ValueError("a bug"), None])

    def step():
        failure = next(steps)
        if failure is None:
            dispatcher._stop.set()
        else:
            raise failure

    monkeypatch.setattr(dispatcher_module, "worker_register", note("register"))
    monkeypatch.setattr(dispatcher_module, "worker_stop", note("stop"))
    monkeypatch.setattr(dispatcher_module, "TriggerPump", lambda cron: Stub())
    monkeypatch.setattr(dispatcher_module.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(dispatcher_module, "connection", type("Connection", (), {"close": note("close")})())
    monkeypatch.setattr(dispatcher, "make_lease", Stub)
    monkeypatch.setattr(dispatcher, "recover", note("recover"))
    monkeypatch.setattr(dispatcher, "step", step)
    dispatcher.run_forever()

    assert [what for what, _ in seen] == [
        "register",
        "recover",
        "lease/pump start",
        "lease/pump start",
        "close",
        "close",
        "lease/pump stop",
        "lease/pump stop",
        "stop",
        "close",
    ]
    on_turn = {what: held for what, held in seen if what != "lease/pump start"}
    assert all(on_turn.values()), seen


def test_a_refusal_from_a_clock_ahead_lasts_no_longer_and_nonsense_is_ignored():
    now = time.time()
    fresh = refusals([["ahead", now + 3600], ["inf", float("inf")], ["nan", float("nan")], ["late", now - 1], 7])
    assert set(fresh) == {"ahead", "late"} and fresh["ahead"] <= time.time()
    assert refusals("not a list") == {}


def test_a_message_handed_back_lately_by_this_worker_is_held_longer_when_it_comes_round_again(monkeypatch):
    """While healthy workers are busy, a worker that cannot run a service would otherwise
    take its messages back twice a second per thread."""

    class Unable:
        worker_id = "this-host"

        def alive(self):
            return True

        def offer(self, execution_id, *, service_id, config_version, refused):
            offer = Offer(execution_id, (service_id, config_version), refusals(refused))
            offer.settle(Offer.REFUSED)
            return offer

    pauses, published = [], []
    monkeypatch.setattr(tasks, "_dispatcher", Unable())
    monkeypatch.setattr(tasks.time, "sleep", pauses.append)
    monkeypatch.setattr(tasks, "publish", lambda ids, **kwargs: published.append(kwargs["refused"]))
    monkeypatch.setattr(tasks, "executions_touch", lambda ids, published: None)

    tasks.run_execution.run(7, 1, 1, [["healthy", time.time() - 1]])
    tasks.run_execution.run(7, 1, 1, published[-1])  # it came round again
    assert pauses == [tasks.REFUSED_PAUSE, tasks.REFUSED_AGAIN_PAUSE]
    assert [w for w, _ in published[-1]] == ["healthy", "this-host"]
