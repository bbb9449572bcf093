#!/usr/bin/env python3
"""The product checks, in order, one pass/fail line each (scripts/checks/product.sh runs this).

Static first: the OpenAPI document is valid OpenAPI 3.1, and every WebSocket frame type of the code is documented.
Then the five services start from $CHAT_BIN_DIR on ports 28080–28084 against the local stack, and against the
gateway: schemathesis over every operation, the browser test of the web client (which restarts chat), and
`chatctl smoke`. Ends with "product: N passed, M failed"; exits non-zero if any check failed.
"""
from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import traceback
from contextlib import redirect_stdout
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness as stack  # noqa: E402

ROOT = stack.ROOT
results: list[bool] = []


def report(title: str, ok: bool, started: float, lines: list[str]) -> None:
    results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'}  {title:<62} {time.monotonic() - started:4.0f} s", flush=True)
    for line in lines:
        print(f"      {line}", flush=True)


def command(title: str, argv: list[str], timeout: float = 300) -> None:
    started = time.monotonic()
    try:
        completed = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        output = (completed.stdout + completed.stderr).strip().splitlines()
        report(title, completed.returncode == 0, started, output[-25:] if completed.returncode else output[-3:])
    except FileNotFoundError as error:
        report(title, False, started, [f"cannot run {argv[0]}: {error}"])
    except subprocess.TimeoutExpired:
        report(title, False, started, [f"did not finish within {timeout:.0f} s"])


def python_check(title: str, function, *args) -> None:
    """Runs `function`, which returns an exit code or a list of lines, or raises; its output is shown."""
    started = time.monotonic()
    buffer = io.StringIO()
    try:
        with redirect_stdout(buffer):
            result = function(*args)
        ok = result in (0, None) or isinstance(result, list)
        lines = buffer.getvalue().strip().splitlines() + (result if isinstance(result, list) else [])
    except AssertionError as failure:
        ok, lines = False, buffer.getvalue().strip().splitlines() + [f"failed: {failure}"]
    except Exception as error:  # noqa: BLE001 - every failure is a failed check with its reason
        ok = False
        lines = buffer.getvalue().strip().splitlines() + traceback.format_exception_only(type(error), error)[-1:]
        lines += [line for line in traceback.format_exc().strip().splitlines()[-6:-1]]
    report(title, ok, started, [line.rstrip() for line in lines if line.strip()])


def main() -> int:
    import frame_types_test

    spec = ROOT / "Services" / "api-gateway" / "Public" / "openapi.json"
    command("(a) openapi-spec-validator: openapi.json is valid OpenAPI 3.1", ["openapi-spec-validator", str(spec)])
    python_check("frame types emitted by chat are all in docs/websocket.md", frame_types_test.main)

    bin_dir = os.environ.get("CHAT_BIN_DIR") or str(ROOT / ".build" / "debug")
    harness = stack.Harness.from_environment()
    started = time.monotonic()
    try:
        harness.start_all()
        report("services started on 28080-28084 (logs in .local/product/)", True, started, [])
        running = True
    except Exception as error:  # noqa: BLE001
        report("services started on 28080-28084 (logs in .local/product/)", False, started, [str(error)])
        running = False
    try:
        if running:
            import api_fuzz
            import browser_test
            import routes_test

            python_check("OpenAPI document and routes match (no undocumented prefix, no 404 route)",
                         lambda: routes_test.check(stack.register("routes")["accessToken"]))
            python_check("(b) schemathesis: 0 server errors, 0 schema violations", api_fuzz.main)
            python_check("(c) browser test: two people chat in headless Chromium", browser_test.run, harness)
            chatctl = Path(bin_dir) / "chatctl"
            if chatctl.exists():
                command(f"(d) chatctl smoke --gateway {stack.GATEWAY}", [str(chatctl), "smoke", "--gateway", stack.GATEWAY],
                        timeout=180)
            else:
                report(f"(d) chatctl smoke --gateway {stack.GATEWAY}", False, time.monotonic(),
                       [f"{chatctl} does not exist: the chatctl executable is not built"])
        else:
            for title in ("(b) schemathesis", "(c) browser test", "(d) chatctl smoke"):
                report(title, False, time.monotonic(), ["not run: the services did not start"])
    finally:
        harness.stop_all()

    passed = sum(results)
    print(f"product: {passed} passed, {len(results) - passed} failed", flush=True)
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
