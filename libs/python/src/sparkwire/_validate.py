"""Argument checks shared by configure() and ObservationClient: a ValueError that names
the argument beats a listener that silently never connects."""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

DEFAULT_ENDPOINT = "127.0.0.1:50551"

_LABEL_KEY_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
_HOST_PORT_RE = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$")


def fail(arg: str, msg: str, where: str = "sparkwire.configure") -> ValueError:
    return ValueError(f"{where}: {arg} {msg}")


_SCHEMES = ("http://", "https://", "grpc://", "grpcs://")  # as the JVM listener accepts


def parse_endpoint(endpoint: Any, arg: str = "endpoint", where: str = "sparkwire.configure") -> tuple[str, bool]:
    """'[scheme://]host:port[/]' -> ('host:port', TLS implied by https:// or grpcs://)."""
    target = endpoint.strip() if isinstance(endpoint, str) else ""
    scheme = next((s for s in _SCHEMES if target.startswith(s)), "")
    target = target[len(scheme):].rstrip("/")
    m = _HOST_PORT_RE.match(target)
    if not m or not 0 < int(m.group(1)) < 65536:
        raise fail(
            arg,
            "must be 'host:port', optionally with http(s):// or grpc(s):// "
            f"(for example {DEFAULT_ENDPOINT}), got {endpoint!r}",
            where,
        )
    return target, scheme in ("https://", "grpcs://")


def validate_endpoint(endpoint: Any, arg: str = "endpoint", where: str = "sparkwire.configure") -> str:
    parse_endpoint(endpoint, arg, where)
    return endpoint.strip()


def validate_labels(labels: Any, arg: str = "labels", where: str = "sparkwire.configure") -> dict[str, str]:
    if labels is None:
        return {}
    if not isinstance(labels, Mapping):
        raise fail(arg, f"must be a dict of str to str, got {type(labels).__name__}", where)
    out = {}
    for key, value in labels.items():
        if not isinstance(key, str) or not _LABEL_KEY_RE.match(key):
            raise fail(arg, f"key {key!r} must be a non-empty string of letters, digits, '_', '.', '-'", where)
        if not isinstance(value, str):
            raise fail(arg, f"value for {key!r} must be a str, got {type(value).__name__}", where)
        out[key] = value
    return out


def validate_token(token: Any, arg: str = "token", where: str = "sparkwire.configure") -> str | None:
    if token is None:
        return None
    if not isinstance(token, str) or not token or token != token.strip() or "\n" in token:
        raise fail(arg, "must be a non-empty string without surrounding whitespace or newlines", where)
    return token


def validate_bool(value: Any, arg: str, where: str = "sparkwire.configure") -> bool:
    # bool only: "false" as a string is truthy and would flip the meaning.
    if not isinstance(value, bool):
        raise fail(arg, f"must be True or False, got {value!r}", where)
    return value
