"""Parsing ``name[key=value,...]`` specs, as in ``--methods "ner[iterations=2000,dim=3],pca"``."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from .errors import NerBenchError


@dataclass(frozen=True)
class Spec:
    name: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        if not self.params:
            return self.name
        return f"{self.name}[{','.join(f'{k}={v}' for k, v in sorted(self.params.items()))}]"


def split_top_level(text: str, argument: str = "--methods", separator: str = ",") -> list[str]:
    """Split on ``separator`` outside brackets."""
    parts, depth, current = [], 0, []
    for char in text:
        depth += char in "[("
        depth -= char in "])"
        if depth < 0:
            raise NerBenchError(f"argument {argument}: unbalanced brackets in {text!r}")
        if char == separator and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    if depth:
        raise NerBenchError(f"argument {argument}: unbalanced brackets in {text!r}")
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def parse_value(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_spec(text: str, argument: str = "--methods") -> Spec:
    text = text.strip()
    if "[" not in text:
        return Spec(text)
    if not text.endswith("]"):
        raise NerBenchError(f"argument {argument}: {text!r} should look like name[key=value,...]")
    name, body = text[:-1].split("[", 1)
    params = {}
    for item in split_top_level(body, argument):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise NerBenchError(f"argument {argument}: parameter {item!r} in {text!r} should be key=value")
        if key.strip() in params:
            raise NerBenchError(f"argument {argument}: parameter {key.strip()!r} is given twice in {text!r}")
        params[key.strip()] = parse_value(value.strip())
    return Spec(name.strip(), params)


def parse_specs(text: str, argument: str = "--methods") -> list[Spec]:
    return [parse_spec(part, argument) for part in split_top_level(text, argument)]
