"""Is a new JSON Schema of an event still compatible with the published one?

Compatible (DESIGN.md §2): readers ignore unknown fields, so a new *optional* field is fine.
Everything else that a reader on either side would trip over is a break: a field removed, a
field newly required or no longer required, a type, format or pattern changed, an enum value
added or removed. Tightened limits (minLength, minimum, ...) are not compared yet.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]
_COMPARED_KEYWORDS = ("type", "format", "pattern", "const")


def _resolve(node: Schema, root: Schema) -> Schema:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = root.get("$defs", {})[name]
    return node


def breaking_changes(old_root: Schema, new_root: Schema) -> list[str]:
    """Every incompatibility between the published schema and the new one ([] if none)."""
    problems: list[str] = []
    _compare(old_root, new_root, old_root, new_root, "$", problems)
    return problems


def _compare(old: Schema, new: Schema, old_root: Schema, new_root: Schema, path: str, problems: list[str]) -> None:
    old, new = _resolve(old, old_root), _resolve(new, new_root)
    for keyword in _COMPARED_KEYWORDS:
        if old.get(keyword) != new.get(keyword):
            problems.append(f"{path}: {keyword} changed from {old.get(keyword)!r} to {new.get(keyword)!r}")
    if "enum" in old or "enum" in new:
        removed = set(old.get("enum", [])) - set(new.get("enum", []))
        added = set(new.get("enum", [])) - set(old.get("enum", []))
        if removed:
            problems.append(f"{path}: enum values removed: {sorted(removed)}")
        if added:
            problems.append(f"{path}: enum values added (old readers would refuse them): {sorted(added)}")
    _compare_properties(old, new, old_root, new_root, path, problems)
    for keyword in ("items", "additionalProperties"):
        if isinstance(old.get(keyword), dict) and isinstance(new.get(keyword), dict):
            _compare(old[keyword], new[keyword], old_root, new_root, f"{path}[]", problems)
    for keyword in ("anyOf", "oneOf", "allOf", "prefixItems"):
        old_options, new_options = old.get(keyword, []), new.get(keyword, [])
        if len(old_options) != len(new_options):
            problems.append(f"{path}: {keyword} has {len(new_options)} alternatives, was {len(old_options)}")
            continue
        for index, (old_option, new_option) in enumerate(zip(old_options, new_options, strict=True)):
            _compare(old_option, new_option, old_root, new_root, f"{path}<{keyword}{index}>", problems)


def _compare_properties(old: Schema, new: Schema, old_root: Schema, new_root: Schema, path: str, problems: list[str]) -> None:
    old_properties, new_properties = old.get("properties", {}), new.get("properties", {})
    for name in old_properties.keys() - new_properties.keys():
        problems.append(f"{path}.{name}: field removed")
    old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
    for name in sorted(new_required - old_required):
        problems.append(f"{path}.{name}: field is now required")
    for name in sorted((old_required - new_required) & new_properties.keys()):
        problems.append(f"{path}.{name}: field is no longer required (old readers would refuse messages without it)")
    for name in old_properties.keys() & new_properties.keys():
        _compare(old_properties[name], new_properties[name], old_root, new_root, f"{path}.{name}", problems)
