"""Standalone writer tmux runs through `pipe-pane`: stdin (the pane's output) -> asciicast v2.

Usage: python asciicast.py <file> <width> <height> <title>. No Django: it lives as long as the
pipe, independent of the web processes, so a restart of Lobby does not cut a recording.
"""

from __future__ import annotations

import codecs
import json
import os
import sys
import time


def main(argv: list[str]) -> int:
    path, width, height, title = argv[1], int(argv[2]), int(argv[3]), argv[4]
    start = time.monotonic()
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    with open(path, "a", encoding="utf-8") as out:
        if out.tell() == 0:
            header = {
                "version": 2,
                "width": width,
                "height": height,
                "timestamp": int(time.time()),
                "title": title,
                "env": {"TERM": "xterm-256color"},
            }
            out.write(json.dumps(header) + "\n")
            out.flush()
        fd = sys.stdin.fileno()
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            text = decoder.decode(chunk)
            if text:
                event = [round(time.monotonic() - start, 6), "o", text]
                out.write(json.dumps(event, ensure_ascii=False) + "\n")
                out.flush()
        tail = decoder.decode(b"", final=True)
        if tail:
            out.write(json.dumps([round(time.monotonic() - start, 6), "o", tail]) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
