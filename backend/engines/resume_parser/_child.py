"""The sandboxed side of `parse_isolated`: limit itself, read the PDF from stdin, parse, answer on stdout.

Started as `python -I -c <bootstrap> <root> <cpu_seconds> <memory_mb> <max_pages> [parse|inspect]`
with a minimal environment. Limits are set before anything else is imported, so the interpreter,
pymupdf and the work all count against them. Each stdout line is one JSON message:

    {"progress": [stage, percent]}   zero or more (parse only)
    {"result": ParseResult.to_dict()} or, inspecting, {"result": PdfInfo.to_dict()} (with the content
    fingerprint), or {"error": [code, reason]}   exactly one, last
"""

from __future__ import annotations

import json
import resource
import sys
import traceback
from typing import Any

_MB = 1024 * 1024


def _limit(cpu_seconds: int, memory_mb: int) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 2))  # SIGXCPU, then SIGKILL
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb * _MB, memory_mb * _MB))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # no file writes (Python ignores SIGXFSZ: EFBIG)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(64, soft), min(64, hard) if hard != resource.RLIM_INFINITY else 64))


def _send(message: dict[str, Any]) -> None:
    # Bytes, so the answer does not depend on the child's locale (-I ignores PYTHONIOENCODING).
    sys.stdout.buffer.write(json.dumps(message, ensure_ascii=False).encode() + b"\n")
    sys.stdout.buffer.flush()


def main() -> None:
    cpu_seconds, memory_mb, max_pages = (int(arg) for arg in sys.argv[2:5])
    mode = sys.argv[5] if len(sys.argv) > 5 else "parse"
    _limit(cpu_seconds, memory_mb)
    data = sys.stdin.buffer.read()
    try:
        from backend.engines.resume_parser.document import inspect_pdf
        from backend.engines.resume_parser.errors import ResumeParseError
        from backend.engines.resume_parser.parser import parse_pdf

        try:
            if mode == "inspect":
                _send({"result": inspect_pdf(data, max_pages=max_pages, fingerprint=True).to_dict()})
                return
            result = parse_pdf(data, max_pages=max_pages, progress=lambda stage, pct: _send({"progress": [stage, pct]}))
        except ResumeParseError as exc:
            _send({"error": [exc.code, exc.reason]})
            return
        _send({"result": result.to_dict()})
    except MemoryError:
        del data
        _send({"error": ["too_complex", None]})
    except Exception:  # a parser bug: say so, keep the traceback for the parent's diagnostics
        traceback.print_exc(file=sys.stderr)
        _send({"error": ["internal", None]})


if __name__ == "__main__":
    main()
