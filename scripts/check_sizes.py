"""Fails when a module passes 400 lines or a function 60 (ARCHITECTURE.md, `make lint`).

Migrations are append-only history and vendored files are not ours, so neither is counted;
nor are hidden directories (virtualenvs such as bench/.tipg-venv that `make bench` creates).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 60
ROOTS = ("app", "geo", "sample_layers", "bench", "tests", "scripts")
SKIP = ("vendor", "__pycache__")


def too_big(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    problems = []
    lines = text.count("\n")
    if lines > MAX_FILE_LINES:
        problems.append(f"{path}: {lines} lines (max {MAX_FILE_LINES})")
    for node in ast.walk(ast.parse(text, filename=str(path))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                problems.append(
                    f"{path}:{node.lineno}: {node.name}() is {length} lines "
                    f"(max {MAX_FUNCTION_LINES})"
                )
    return problems


def main(root: Path) -> int:
    problems = [
        problem
        for top in ROOTS
        for path in sorted((root / top).rglob("*.py"))
        if not any(part in SKIP or part.startswith(".") for part in path.relative_to(root).parts)
        for problem in too_big(path.relative_to(root))
    ]
    print("\n".join(problems) or "sizes: every module and function within bounds")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")))
