"""A JSON parser that refuses what DRF's would turn into a 500."""

import json
from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """True when `value` nests containers deeper than `limit` (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def loads(raw: bytes | str) -> Any:
    """Parse JSON, raising ValueError for malformed, too deep, or non-standard (NaN) input."""
    try:
        value = json.loads(raw, parse_constant=_reject_constant)
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc
    if json_depth_exceeds(value, settings.LOBBY_MAX_JSON_DEPTH):
        raise ValueError(f"JSON nested deeper than {settings.LOBBY_MAX_JSON_DEPTH} levels")
    return value


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):  # type: ignore[no-untyped-def]
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            raw = stream.read() if stream is not None else b""
            return loads(raw.decode(encoding))
        except UnicodeDecodeError as exc:
            raise ParseError("Request body is not valid UTF-8") from exc
        except ValueError as exc:
            raise ParseError(f"Malformed JSON: {exc}") from exc
