#!/usr/bin/env python3
"""Every WebSocket frame type the chat service emits (and every client frame type it handles) is documented in the
`frame-types` block of docs/websocket.md.

Server frame types are found in the Swift sources of Services/chat in the three ways they are written:
- a frame struct's constant: `let type = "hello"` (Realtime/Frames.swift);
- a frame built with its type: `ServerFrame.Message(type: "message.updated", ...)`;
- ready JSON text: `#"{"type":"error", ...}"#`;
- a frame written by hand with `JSONWriter`: `json.key("type")` then `json.string("message")` (MessageFrames.swift).
Client frame types are the `case "send":` labels in the files that decode a client frame (`ClientFrame`), where the
session dispatches on its type.

Exits non-zero, naming what is missing, when a type is undocumented, and also when the scan finds no frame types at
all, misses `hello` (every connection's first frame) or misses `send` (the client frame every client uses): then the
scan no longer matches how the code declares frames.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHAT = ROOT / "Services" / "chat"
DOC = ROOT / "docs" / "websocket.md"

STRUCT_CONSTANT = re.compile(r'\blet\s+type\s*(?::\s*String\s*)?=\s*"([^"\\]+)"')
BUILT_WITH_TYPE = re.compile(r'\bServerFrame\s*\.\s*\w+\s*\(\s*type\s*:\s*"([^"\\]+)"')
JSON_TEXT = re.compile(r'\\?"type\\?"\s*:\s*\\?"([^"\\]+)\\?"')
HAND_WRITTEN = re.compile(r'\.key\(\s*"type"\s*\)\s*\w+\s*\.\s*string\(\s*"([^"\\]+)"\s*\)')
CASE_LABEL = re.compile(r'\bcase\s+((?:"[^"\\]+"\s*,\s*)*"[^"\\]+")\s*:')
TYPE_NAME = re.compile(r"^[a-z][a-z0-9_.]*$")


def strip_comments(source: str) -> str:
    """The source without // and /* */ comments, so documentation examples do not count as emitted frames."""
    source = re.sub(r"/\*.*?\*/", " ", source, flags=re.S)
    return "\n".join(re.sub(r"(^|\s)//.*$", r"\1", line) for line in source.splitlines())


def scan(directory: Path) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(server frame type → files, client frame type → files)."""
    server: dict[str, set[str]] = {}
    client: dict[str, set[str]] = {}
    files = sorted(directory.rglob("*.swift"))
    if not files:
        raise SystemExit(f"frame types: no Swift files under {directory}")
    for path in files:
        source = strip_comments(path.read_text(encoding="utf-8"))
        name = str(path.relative_to(ROOT))
        for pattern in (STRUCT_CONSTANT, BUILT_WITH_TYPE, JSON_TEXT, HAND_WRITTEN):
            for match in pattern.finditer(source):
                server.setdefault(match.group(1), set()).add(name)
        # Client frames: the switch over the type of a decoded ClientFrame.
        if re.search(r"\bClientFrame\b", source):
            for match in CASE_LABEL.finditer(source):
                for label in re.findall(r'"([^"\\]+)"', match.group(1)):
                    client.setdefault(label, set()).add(name)
    return server, client


def documented(doc: Path) -> set[str]:
    text = doc.read_text(encoding="utf-8")
    blocks = re.findall(r"^```frame-types[ \t]*\n(.*?)^```", text, flags=re.S | re.M)
    if len(blocks) != 1:
        raise SystemExit(f"frame types: {doc} must hold exactly one ```frame-types block (found {len(blocks)})")
    names = set(blocks[0].split())
    bad = sorted(n for n in names if not TYPE_NAME.match(n))
    if bad:
        raise SystemExit(f"frame types: not frame type names in the frame-types block: {bad}")
    return names


def main() -> int:
    server, client = scan(CHAT)
    names = documented(DOC)
    if not server:
        print("FAIL: found no server frame types in Services/chat: the scan no longer matches how frames are declared")
        return 1
    if "hello" not in server:
        print(f"FAIL: the scan missed `hello` (found only {sorted(server)}): it no longer matches how frames are declared")
        return 1
    if "send" not in client:
        print(f"FAIL: the scan missed the client frame `send` (found only {sorted(client)}): it no longer matches how "
              "the session dispatches client frames")
        return 1
    failed = False
    for kind, found in (("server", server), ("client", client)):
        missing = sorted(set(found) - names)
        for frame_type in missing:
            print(f"FAIL: {kind} frame type {frame_type!r} (in {', '.join(sorted(found[frame_type]))}) "
                  f"is not in docs/websocket.md's frame-types block")
        failed = failed or bool(missing)
    not_emitted = sorted(names - set(server) - set(client))
    print(f"server frame types found: {' '.join(sorted(server))}")
    print(f"client frame types handled: {' '.join(sorted(client)) or '(none found)'}")
    if not_emitted:
        print(f"documented, not found in the code: {' '.join(not_emitted)}")
    if failed:
        return 1
    print(f"all {len(server)} server and {len(client)} client frame types are documented")
    return 0


if __name__ == "__main__":
    sys.exit(main())
