"""The Python code in the guide and the package's README: every block
compiles, and every name it takes from the package exists (the blocks
need running servers, so they are not run here; tests/test_examples.py
runs the example scripts)."""

import ast
import importlib
import os
import re
import unittest

import libipc
from libipc import aio

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
DOCUMENTS = ["docs/guides/python.md", "python/README.md", "README.md"]
MODULES = {"libipc": libipc, "aio": aio}


def python_blocks(path: str):
    with open(os.path.join(ROOT, path)) as f:
        text = f.read()
    for match in re.finditer(r"```python\n(.*?)```", text, re.S):
        yield text[: match.start()].count("\n") + 2, match.group(1)


class Documents(unittest.TestCase):
    def test_blocks_compile_and_name_what_exists(self) -> None:
        found = 0
        for path in DOCUMENTS:
            for line, code in python_blocks(path):
                found += 1
                with self.subTest(f"{path}:{line}"):
                    tree = ast.parse(code, f"{path}:{line}")
                    for node in ast.walk(tree):
                        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("libipc"):
                            module = importlib.import_module(node.module or "")
                            for alias in node.names:
                                self.assertTrue(hasattr(module, alias.name), f"{node.module}.{alias.name}")
                        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                            module = MODULES.get(node.value.id)
                            if module is not None:
                                self.assertTrue(
                                    hasattr(module, node.attr), f"{node.value.id}.{node.attr} (line {line})"
                                )
        self.assertGreaterEqual(found, 6)


if __name__ == "__main__":
    unittest.main()
