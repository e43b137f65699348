"""Read a YAML parameter file safely: the one parser of profiles, views and stress episodes.

:func:`read_yaml` refuses, naming the file: a file larger than :data:`MAX_YAML_BYTES`, text that is
not UTF-8, malformed YAML (with the line), a key given twice in one mapping at any level (naming
both lines: YAML would silently keep the last), a document of more than :data:`MAX_YAML_NODES`
values once its aliases are expanded (an alias bomb, refused before anything is built) and
recursive aliases. Dates stay text, so a field of type ``date`` parses them and an impossible one
(``2022-13-45``) is that field's one-line error rather than YAML's ``ValueError``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from rebal.config.loader import clip
from rebal.errors import ConfigError

__all__ = ["read_yaml", "MAX_YAML_BYTES", "MAX_YAML_NODES"]

#: A parameter file larger than this (bytes) is refused before it is parsed.
MAX_YAML_BYTES = 1_000_000
#: A YAML document whose values, with every alias expanded, exceed this count is refused (alias bombs).
MAX_YAML_NODES = 100_000


class _SafeLoader(yaml.SafeLoader):
    """PyYAML's safe loader: dates kept as text, duplicate keys refused, expanded size limited."""

    def compose_document(self):  # noqa: D102 - PyYAML's hook
        node = super().compose_document()
        _check_nodes(node, self.name)
        return node


_SafeLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _check_nodes(root: yaml.Node | None, src: str) -> None:
    """Refuse duplicate keys (naming both lines) and documents too large once aliases are expanded."""
    if root is None:
        return
    sizes: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:  # iterative post-order: the size of a node counts every alias expansion beneath it
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, yaml.Node] = {}
            for key, value in node.value:
                children += [key, value]
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    ident = (key.tag, key.value)
                    if ident in seen:
                        first = seen[ident].start_mark.line + 1
                        raise ConfigError(f"{src}: duplicate key `{clip(str(key.value))}` at line "
                                          f"{key.start_mark.line + 1} (first at line {first}): a YAML key may "
                                          "appear once per mapping")
                    seen[ident] = key
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        if done or not children:
            open_.discard(id(node))
            total = 1 + sum(sizes.get(id(c), 0) for c in children)
            sizes[id(node)] = total
            if total > MAX_YAML_NODES:
                raise ConfigError(f"{src}: YAML too large once its aliases are expanded (more than {MAX_YAML_NODES:,} "
                                  "values): refused (an alias bomb?)")
            continue
        if any(id(c) in open_ or c is node for c in children):
            raise ConfigError(f"{src}: recursive YAML alias at line {node.start_mark.line + 1}: refused")
        open_.add(id(node))
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)


def read_yaml(path: str | Path, *, what: str = "parameter file") -> Any:
    """Read and parse the YAML file at ``path`` safely (see the module docstring); return the document.

    Raises
    ------
    ConfigError
        Naming the file: missing, larger than :data:`MAX_YAML_BYTES`, not UTF-8, malformed (with the line),
        a duplicate key (both lines) or an alias bomb.
    """
    p = Path(path)
    src = str(p)
    try:
        size = p.stat().st_size
        if size > MAX_YAML_BYTES:
            raise ConfigError(f"{src}: {size:,} bytes, larger than the {MAX_YAML_BYTES:,} bytes a {what} may have")
        data = p.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{src}: cannot read the {what}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{src}: not UTF-8 text") from None
    loader = _SafeLoader(text)
    loader.name = src
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{src}: malformed YAML{where}: {clip(problem)}") from None
    except (ValueError, TypeError, RecursionError) as exc:  # a constructor refused a value (e.g. a bad !!binary)
        raise ConfigError(f"{src}: malformed YAML: {clip(str(exc))}") from None
    finally:
        loader.dispose()
