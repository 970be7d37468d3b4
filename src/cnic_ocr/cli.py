"""``cnic-ocr``: recognize card images from the command line, or serve the OCR API."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from cnic_ocr.api.server import ClientLimits

#: Show a progress bar from this many files on (and only when stderr is a terminal).
PROGRESS_FROM = 5


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cnic-ocr", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    recognize = commands.add_parser("recognize", help="print one JSON line per image file")
    recognize.add_argument("files", nargs="+", metavar="FILE")
    recognize.add_argument("--details", action="store_true", help="add confidences, checks and timings")
    recognize.add_argument(
        "--annotate",
        type=Path,
        metavar="DIR",
        help="write DIR/<file>.png per image: the lines read, the labels and each field's box drawn",
    )

    serve = commands.add_parser("serve", help="serve POST /v1/pk_ocr/general")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument(
        "--api-key-file", type=Path, help="file with one API key per line (default: $CNIC_OCR_API_KEYS)"
    )
    serve.add_argument(
        "--uploads",
        action="store_true",
        help="also serve POST /v1/uploads and GET /v1/uploads/{uploadId} (settings from the environment)",
    )
    limits = ClientLimits()
    serve.add_argument(
        "--connection-limit",
        type=int,
        default=limits.connection_limit,
        help="open connections at most; when full, the slowest to send their request are closed",
    )
    serve.add_argument(
        "--header-timeout",
        type=float,
        default=limits.header_timeout_seconds,
        help="seconds a request's headers (and an idle connection) may take",
    )
    serve.add_argument(
        "--min-body-rate",
        type=int,
        default=limits.min_body_bytes_per_second,
        help="bytes/s a request body must keep on average after its first seconds",
    )
    return parser


def _recognize(files: Sequence[str], details: bool, annotate: Path | None) -> int:
    from cnic_ocr.recognizer import get_recognizer

    recognizer = get_recognizer()
    show_progress = len(files) >= PROGRESS_FROM and sys.stderr.isatty()
    unreadable = 0
    for name in tqdm(files, disable=not show_progress, unit="img", file=sys.stderr):
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            # A path that cannot be read is a usage error: say so in place, exit non-zero at the end.
            unreadable += 1
            line: dict[str, object] = {"file": name, "error": f"cannot read: {exc.strerror}"}
        else:
            body, picture = recognizer.recognize_and_picture(
                data, details=details, picture=annotate is not None
            )
            line = {"file": name, "response": body}
            if annotate is not None and picture is not None:
                annotate.mkdir(parents=True, exist_ok=True)
                target = annotate / f"{Path(name).name}.png"
                target.write_bytes(picture)
                line["annotated"] = str(target)
        print(json.dumps(line, ensure_ascii=False), flush=True)
    return 2 if unreadable else 0


def _serve(host: str, port: int, key_file: Path | None, uploads: bool, limits: ClientLimits) -> int:
    from cnic_ocr.api.keys import ApiKeyConfigError, load_api_keys
    from cnic_ocr.api.server import serve

    try:
        keys = load_api_keys(key_file)
    except ApiKeyConfigError as exc:
        print(f"cnic-ocr serve: {exc}", file=sys.stderr)
        return 2
    more_routes = None
    if uploads:
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        from cnic_ocr.mobile.aws import build_uploads_api

        try:
            more_routes = build_uploads_api()
        except (ValueError, GetParameterError) as exc:  # settings (pydantic) or the signing secret
            print(f"cnic-ocr serve --uploads: cannot set up the uploads routes: {exc}", file=sys.stderr)
            return 2
    serve(host, port, keys, more_routes=more_routes, limits=limits)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "recognize":
        return _recognize(args.files, args.details, args.annotate)
    limits = ClientLimits(
        connection_limit=args.connection_limit,
        header_timeout_seconds=args.header_timeout,
        min_body_bytes_per_second=args.min_body_rate,
    )
    return _serve(args.host, args.port, args.api_key_file, args.uploads, limits)


if __name__ == "__main__":
    sys.exit(main())
