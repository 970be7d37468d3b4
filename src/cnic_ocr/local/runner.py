"""``cnic-local run``: the whole upload pipeline on this machine, on loopback stand-ins of AWS.

Starts moto's server and the project's OCR API server, creates the resources ``template.yaml``
declares, uploads images (generated samples, or ``--images DIR``), lets the template's handler
process them as S3 and Lambda would, prints the records and events, and stops everything it
started, whatever happens (success, error, Ctrl-C, SIGTERM). The OCR API server also serves
the mobile uploads routes (the template's ``UploadsApiFunction``); with ``--serve`` the run
then keeps everything up and processes new uploads as they arrive, until Ctrl-C.

Exit codes: 0 every upload ended as a final record or in the dead-letter queue with its
ERROR record; 1 something of the local infrastructure failed (or an upload has no outcome);
2 usage error; 130 interrupted (with ``--serve``: before serving; Ctrl-C while serving is the
normal end).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, Final, Self, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from cnic_ocr.local.dispatch import Delivery, Dispatcher, PutFacts
from cnic_ocr.local.provision import (
    API_KEY_SECRET_VARIABLE,
    EVENT_BUS_VARIABLE,
    UPLOADS_FUNCTION,
    LocalDeployment,
    function_environment,
    provision,
)
from cnic_ocr.local.report import (
    UploadOutcome,
    dead_lettered_keys,
    drain,
    events_table,
    json_lines,
    outcomes,
    records_table,
    scan_records,
    summary_line,
)
from cnic_ocr.local.samples import Upload, default_samples, folder_uploads, has_files
from cnic_ocr.local.services import MotoServer, OcrServer, ServiceError, free_port, ocr_url
from cnic_ocr.local.template import Stack, TemplateError, load_template
from cnic_ocr.masking import mask_id_numbers_in

#: The pipeline setting naming the records table (read back for the report).
RECORDS_TABLE_VARIABLE: Final = "RECORDS_TABLE_NAME"
DEFAULT_WORK_DIR: Final = Path(".local-run")
REGION: Final = "us-east-1"
#: moto accepts any credentials; these make sure nothing of the user's AWS setup is used.
LOCAL_AWS_ENVIRONMENT: Final = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
    # No X-Ray daemon here.
    "POWERTOOLS_TRACE_DISABLED": "true",
}
#: What ``--serve`` prints: where to try the mobile flow (docs/mobile.md) with curl and jq.
MOBILE_FLOW: Final = r"""
Serving the OCR API and the mobile uploads routes until Ctrl-C.
  API URL:  {api}
  API key:  {key}
  uploads:  s3://{bucket}/{prefix}<uploadId> are processed as they arrive

Try the mobile flow (bash, curl, jq):

API={api}; KEY={key}
.venv/bin/python -c 'from cnic_ocr.synth import generate
open("card.jpg", "wb").write(generate(4, "clean").image)'
# 1. ask for an upload slot
slot=$(curl -s -X POST "$API/v1/uploads" -H "X-API-Key: $KEY" \
            -H 'Content-Type: application/json' -d '{{"contentType": "image/jpeg"}}')
# 2. upload the photo with the returned fields, the file last (moto's S3 answers 204)
fields=(); while IFS= read -r f; do fields+=(--form-string "$f"); done \
  < <(jq -r '.fields | to_entries[] | "\(.key)=\(.value)"' <<<"$slot")
curl -s -o /dev/null -w '%{{http_code}}\n' "${{fields[@]}}" -F "file=@card.jpg" "$(jq -r .url <<<"$slot")"
# 3. poll the result (PENDING until the pipeline recorded it)
curl -s "$API/v1/uploads/$(jq -r .uploadId <<<"$slot")" -H "X-API-Key: $KEY"
"""
_USER_AWS_VARIABLES: Final = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


class LocalRunError(RuntimeError):
    """The run cannot go on or did not finish; the message says why."""


class Progress:
    """Progress lines on stderr, with the time since the start."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._started = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._started

    def __call__(self, message: str) -> None:
        print(f"[{self.elapsed:6.1f}s] {message}", file=self._stream, flush=True)


@dataclass
class RunResult:
    outcomes: list[UploadOutcome]
    prefix: str
    records_table: str
    bus: str
    logs: list[Path]
    #: what went wrong with the local infrastructure during the run (the exit code is then 1)
    problems: list[str]


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    progress = Progress(sys.stderr)
    try:
        overrides = dict(_parameter(text) for text in args.parameter)
    except ValueError as exc:
        print(f"cnic-local: {exc}", file=sys.stderr)
        return 2
    if args.images is not None and not args.images.is_dir():
        print(f"cnic-local: --images {args.images}: not a directory", file=sys.stderr)
        return 2
    if args.images is not None and not has_files(args.images):
        print(f"cnic-local: --images {args.images}: no (non-hidden) files in it", file=sys.stderr)
        return 2

    def show(result: RunResult) -> None:
        _show_result(result, progress, as_json=args.json, show_pii=args.show_pii)

    signals = StopSignals()
    with signals.installed():
        try:
            result = run(
                args.template,
                args.work_dir,
                args.images,
                overrides,
                progress,
                signals,
                serve_after=show if args.serve else None,
            )
            if not args.serve:
                show(result)
            signals.check()  # one received while the results were printed
        except KeyboardInterrupt:
            progress("interrupted; every process this run started is stopped")
            return 130
        except (LocalRunError, ServiceError, TemplateError) as exc:
            progress(f"error: {exc}")
            return 1
        except (BotoCoreError, ClientError) as exc:
            progress(f"error: a call to the AWS stand-in (moto) failed: {exc}")
            return 1
        for problem in result.problems:
            progress(f"error: {problem}")
        return 1 if result.problems else 0


def run(
    template_path: Path,
    work_dir: Path,
    images: Path | None,
    parameter_overrides: dict[str, str],
    progress: Progress,
    signals: StopSignals,
    *,
    serve_after: Callable[[RunResult], None] | None = None,
) -> RunResult:
    """Everything between reading the template and reading the results back; stops what it starts.

    A stop signal raises KeyboardInterrupt, at the latest when the step it arrived in ends
    (``signals.check()``), or after the cleanup if it arrived during it.
    With ``serve_after``, the result is handed to it while everything still runs; then new
    uploads are processed as they arrive until Ctrl-C (or SIGTERM), which ends the run normally.
    """
    stack = Stack(load_template(template_path), region=REGION, parameter_overrides=parameter_overrides)
    work_dir.mkdir(parents=True, exist_ok=True)
    ocr_log = work_dir / "ocr-server.log"
    function_log_path = work_dir / "function.log"
    with contextlib.ExitStack() as started, signals.armed():  # disarmed before the cleanup
        moto = MotoServer()
        started.callback(moto.stop)
        moto_url = moto.start()
        _use_local_aws(moto_url)
        progress(f"moto server answers on {moto_url}")
        clients = _clients(moto_url)

        ocr_port = free_port()
        deployment = provision(stack, clients, ocr_api_url=ocr_url(ocr_port))
        _report_provisioning(deployment, template_path, progress)
        signals.check()

        # The key the template's secret was created with is the one the OCR server accepts.
        api_key = clients("secretsmanager").get_secret_value(
            SecretId=deployment.function.environment[API_KEY_SECRET_VARIABLE]
        )["SecretString"]
        uploads_settings = function_environment(stack, UPLOADS_FUNCTION)
        if serve_after is not None and uploads_settings is None:
            raise LocalRunError(f"--serve needs the template's {UPLOADS_FUNCTION}; it declares none")
        ocr = OcrServer(
            str(api_key),
            ocr_log,
            port=ocr_port,
            # Its presigned POSTs name moto's server, which the user's curl reaches on loopback.
            uploads_environment=None
            if uploads_settings is None
            else {**LOCAL_AWS_ENVIRONMENT, "AWS_ENDPOINT_URL": moto_url, **uploads_settings},
        )
        started.callback(ocr.stop, signals.insisted)
        with signals.deferred():  # an interrupt between fork and ``ocr`` knowing its child leaves it running
            ocr.start()
        progress(f"OCR API server starting on {ocr.url} (loading the model; log: {ocr_log})")
        if ocr.serves_uploads:
            progress(f"it also serves /v1/uploads with {UPLOADS_FUNCTION}'s settings")

        uploads = _uploads(images, progress)  # while the model loads
        signals.check()  # numpy.random's first import, in there, swallows KeyboardInterrupt
        trigger = deployment.function.trigger
        put_facts = _upload_all(clients("s3"), trigger.bucket, trigger.prefix, uploads, progress)

        function_log = started.enter_context(function_log_path.open("w", encoding="utf-8"))
        os.environ.update(deployment.function.environment)  # before the handler module is imported
        handler = _import_handler(deployment.function.handler, function_log)
        signals.check()

        load_started = time.monotonic()
        ocr.wait_ready()
        progress(f"OCR API server ready (waited {time.monotonic() - load_started:.1f} s for the model)")
        signals.check()

        keys = list(put_facts)
        dispatcher = Dispatcher(
            sqs=clients("sqs"),
            notifications_queue_url=deployment.notifications_queue_url,
            function=deployment.function,
            handler=handler,
            function_output=function_log,
            dead_letter_queue_url=deployment.dead_letter_queue_url,
            put_facts=put_facts,
            region=REGION,
            account_id=stack.account_id,
        )
        missing = dispatcher.run(keys, _delivery_reporter(len(keys), trigger.prefix, progress, signals))
        result = _read_back(deployment, clients, keys, [function_log_path, ocr_log])
        if missing:
            shown = ", ".join(sorted(map(mask_id_numbers_in, missing)))
            result.problems.append(f"no S3 notification arrived for {len(missing)} upload(s): {shown}")
        if (ocr_end := ocr.exited()) is not None:
            result.problems.append(f"the OCR API server stopped during the run: {ocr_end}")
        if serve_after is not None:
            serve_after(result)
        if serve_after is not None and ocr_end is None:
            _serve_uploads(
                dispatcher, ocr, str(api_key), trigger.bucket, trigger.prefix, result, progress, signals
            )
    signals.check()  # one received during the cleanup
    return result


def _serve_uploads(
    dispatcher: Dispatcher,
    ocr: OcrServer,
    api_key: str,
    bucket: str,
    prefix: str,
    result: RunResult,
    progress: Progress,
    signals: StopSignals,
) -> None:
    """Processes every new upload as it arrives, until Ctrl-C/SIGTERM or the OCR server's end."""
    print(MOBILE_FLOW.format(api=ocr.url, key=api_key, bucket=bucket, prefix=prefix), flush=True)
    if result.problems:
        progress(f"{len(result.problems)} problem(s) so far; listed when the run stops")
    progress(f"serving on {ocr.url}: new uploads under s3://{bucket}/{prefix} are processed; Ctrl-C stops")
    with contextlib.suppress(KeyboardInterrupt):  # the signal's own exception; it is recorded too
        dispatcher.deliver_until(
            lambda: ocr.exited() is not None or signals.received is not None,
            _delivery_reporter(None, prefix, progress, signals),
        )
    stopped_by = signals.end_normally()
    if stopped_by is not None:
        progress(f"stopping ({stopped_by})")
        return
    result.problems.append(f"the OCR API server stopped while serving: {ocr.exited()}")


def _uploads(images: Path | None, progress: Progress) -> list[Upload]:
    if images is None:
        uploads = default_samples()
        progress(f"generated {len(uploads)} sample uploads (synthetic cards and bad inputs)")
        return uploads
    uploads = folder_uploads(images)
    progress(f"read {len(uploads)} files from {images}")
    return uploads


def _use_local_aws(moto_url: str) -> None:
    """Every AWS client of this process (the handler's included) talks to moto, never to AWS."""
    for name in [*_USER_AWS_VARIABLES, *(n for n in os.environ if n.startswith("AWS_ENDPOINT_URL_"))]:
        os.environ.pop(name, None)
    os.environ.update(LOCAL_AWS_ENVIRONMENT)
    os.environ["AWS_ENDPOINT_URL"] = moto_url


def _clients(moto_url: str) -> Callable[[str], Any]:
    import boto3

    session = boto3.session.Session(region_name=REGION)
    made: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in made:
            made[service] = session.client(service, endpoint_url=moto_url)
        return made[service]

    return client


def _report_provisioning(deployment: LocalDeployment, template_path: Path, progress: Progress) -> None:
    created = ", ".join(
        f"{item.logical_id} ({item.physical_id.rsplit('/', 1)[-1]})" for item in deployment.created
    )
    progress(f"created from {template_path}: {created}")
    skipped = ", ".join(item.logical_id for item in deployment.not_emulated)
    if skipped:
        progress(f"not emulated: {skipped}")
    function = deployment.function
    progress(
        f"{function.logical_id} ({function.handler}) runs in this process on "
        f"s3://{function.trigger.bucket}/{function.trigger.prefix} notifications; "
        f"events go to bus {function.environment.get(EVENT_BUS_VARIABLE, 'default')}"
    )


def _upload_all(
    s3: Any, bucket: str, prefix: str, uploads: list[Upload], progress: Progress
) -> dict[str, PutFacts]:
    """Puts every upload; keeps what S3 would write into each notification."""
    facts: dict[str, PutFacts] = {}
    first_sequencer = time.time_ns()
    for index, upload in enumerate(uploads):
        key = prefix + upload.name
        answer = s3.put_object(Bucket=bucket, Key=key, Body=upload.data, ContentType=upload.content_type)
        facts[key] = PutFacts(
            request_id=str(answer["ResponseMetadata"]["RequestId"]),
            sequencer=f"{first_sequencer + index:016X}",
            version_id=answer.get("VersionId"),
        )
    progress(f"uploaded {len(uploads)} objects to s3://{bucket}/{prefix}")
    return facts


def _import_handler(handler_path: str, function_output: TextIO) -> Callable[[dict[str, Any], Any], Any]:
    """The template's ``Handler``; its loggers, made at import, write to ``function_output``."""
    module_name, _, attribute = handler_path.rpartition(".")
    try:
        with contextlib.redirect_stdout(function_output):
            module = importlib.import_module(module_name)
    except ImportError as exc:
        raise LocalRunError(f"cannot import the handler {handler_path}: {exc}") from exc
    handler = getattr(module, attribute, None)
    if not callable(handler):
        raise LocalRunError(f"{handler_path} is not a function")
    return handler  # type: ignore[no-any-return]


def _delivery_reporter(
    total: int | None, prefix: str, progress: Progress, signals: StopSignals
) -> Callable[[Delivery], None]:
    """One progress line per delivery, numbered (out of ``total`` when the uploads are known).

    A delivery is a step: a stop signal that arrived during it (the exception maybe swallowed by
    the handler's libraries) stops the run here.
    """
    done = 0

    def report(delivery: Delivery) -> None:
        nonlocal done
        done += len(delivery.keys)
        shown = ", ".join(mask_id_numbers_in(key.removeprefix(prefix)) for key in delivery.keys)
        if delivery.error is None:
            statuses = [str(item.get("status")) for item in (delivery.result or {}).get("processed", [])]
            outcome = ", ".join(statuses) or "nothing recorded"
        else:
            where = "dead-letter queue" if delivery.dead_lettered else "dropped (no on-failure destination)"
            outcome = f"failed {delivery.attempts} times → {where}: {delivery.error}"
        counter = f"{done}" if total is None else f"{done}/{total}"
        progress(f"[{counter}] {shown}: {outcome} ({delivery.seconds:.1f} s)")
        signals.check()

    return report


def _read_back(
    deployment: LocalDeployment,
    clients: Callable[[str], Any],
    keys: list[str],
    logs: list[Path],
) -> RunResult:
    function = deployment.function
    sqs = clients("sqs")
    table = function.environment[RECORDS_TABLE_VARIABLE]
    dead_letters = (
        dead_lettered_keys(drain(sqs, deployment.dead_letter_queue_url))
        if deployment.dead_letter_queue_url
        else set()
    )
    results = outcomes(
        function.trigger.bucket,
        keys,
        scan_records(clients("dynamodb"), table),
        drain(sqs, deployment.events_queue_url),
        dead_letters,
    )
    bus = function.environment.get(EVENT_BUS_VARIABLE, "default")
    return RunResult(results, function.trigger.prefix, table, bus, logs, problems=[])


def _show_result(result: RunResult, progress: Progress, *, as_json: bool, show_pii: bool) -> None:
    """Prints the tables (or JSON lines); an upload without outcome becomes a problem."""
    try:
        _print_result(result, progress, as_json=as_json, show_pii=show_pii)
    except BrokenPipeError:  # the reader went away (``| head``): the rest is not wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    unsettled = [mask_id_numbers_in(item.key) for item in result.outcomes if not item.settled]
    if unsettled:
        result.problems.append(f"{len(unsettled)} upload(s) have no outcome: {', '.join(unsettled)}")


def _print_result(result: RunResult, progress: Progress, *, as_json: bool, show_pii: bool) -> None:
    summary = summary_line(result.outcomes, progress.elapsed)
    if as_json:
        for line in json_lines(result.outcomes, show_pii=show_pii):
            print(line)
        progress(summary)
        return
    masked = "" if show_pii else "; identity numbers and names masked, --show-pii shows them"
    print(f"\nRecords in table {result.records_table} (keys under {result.prefix}{masked})")
    print(records_table(result.outcomes, prefix=result.prefix, show_pii=show_pii))
    print(f"\nEvents published on bus {result.bus}")
    print(events_table(result.outcomes, prefix=result.prefix, show_pii=show_pii))
    print(f"\nlogs: {', '.join(map(str, result.logs))}")
    print(summary, flush=True)


def _parameter(text: str) -> tuple[str, str]:
    name, separator, value = text.partition("=")
    if not separator or not name:
        raise ValueError(f"--parameter {text!r}: expected NAME=VALUE")
    return name, value


class StopSignals:
    """SIGINT, SIGTERM and SIGHUP stop the run like Ctrl-C, and every started process is stopped.

    The signal is recorded, not only raised: the KeyboardInterrupt its handler raises lands in
    whatever code runs, and some swallows it (numpy.random's first import, in the sample
    generation, registers Cython types inside a bare ``except: pass``). :meth:`check`, at the
    end of each step, raises it again. The handler raises only while :meth:`armed` (once: the
    first signal), so no exception lands inside the cleanup and skips stopping a process.

    SIGINT too, explicitly: a parent that ignores it (a shell's background job) must not make
    the run unstoppable by Ctrl-C's signal.
    """

    def __init__(self) -> None:
        #: the name of the last stop signal received (None: none)
        self.received: str | None = None
        self._count = 0
        self._armed = False
        self._ended_normally = False

    @contextlib.contextmanager
    def installed(self) -> Iterator[Self]:
        """The handler, for SIGINT, SIGTERM and SIGHUP; the previous ones back afterwards."""
        previous = {
            sig: signal.signal(sig, self._handle) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        }
        try:
            yield self
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    @contextlib.contextmanager
    def armed(self) -> Iterator[None]:
        """The block's work is cut short by the first stop signal (it raises KeyboardInterrupt).

        Some code turns that exception into another (an extension module's import, matplotlib's
        in the sample generation, into ImportError): with a signal received, it is the signal's.
        """
        self._armed = True
        try:
            self.check()  # one received before
            yield
        except Exception:
            self.check()
            raise
        finally:
            self._armed = False

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """A stop signal during the block is raised at its end (the block must not be cut)."""
        armed, self._armed = self._armed, False
        try:
            yield
        finally:
            self._armed = armed
        self.check()

    def check(self) -> None:
        """KeyboardInterrupt if a stop signal was received (and was not the normal end)."""
        if self.received is not None and not self._ended_normally:
            self._armed = False  # one exception on its way is enough
            raise KeyboardInterrupt(self.received)

    def insisted(self) -> bool:
        """A second stop signal: the user will not wait for the OCR server's graceful end."""
        return self._count > 1

    def end_normally(self) -> str | None:
        """From now on a stop signal is the run's normal end (``--serve``); the one received, if any."""
        self._armed = False
        self._ended_normally = True
        return self.received

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.received = signal.Signals(signum).name
        self._count += 1
        if self._armed:
            self._armed = False
            raise KeyboardInterrupt(self.received)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cnic-local", description=__doc__.splitlines()[0] if __doc__ else None
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="process sample (or your) images through the local pipeline")
    run_parser.add_argument(
        "--images", type=Path, help="process the files of this folder instead of the samples"
    )
    run_parser.add_argument("--json", action="store_true", help="one JSON object per upload on stdout")
    run_parser.add_argument("--show-pii", action="store_true", help="do not mask identity numbers and names")
    run_parser.add_argument(
        "--serve",
        action="store_true",
        help="then keep serving the OCR and uploads API and process new uploads until Ctrl-C",
    )
    run_parser.add_argument(
        "--template", type=Path, default=Path("template.yaml"), help="default: ./template.yaml"
    )
    run_parser.add_argument(
        "--work-dir", type=Path, default=DEFAULT_WORK_DIR, help="logs go here (default: ./.local-run)"
    )
    run_parser.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a template parameter (repeatable), e.g. EventBusMode=default",
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
