"""The SDK covers exactly the operations it claims, as the running server documents them."""

from __future__ import annotations

import json
import os
import re
import unittest
import urllib.request
from typing import Any, Dict, Tuple

import pome
from tests.server import PomeServer

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# What the SDK claims: the platform API, and the public API (whoami, verify).
CLAIMED_TAGS = {"Platform", "Public API"}

server: PomeServer
document: Dict[str, Any]


def setUpModule() -> None:
    global server, document
    server = PomeServer()
    with urllib.request.urlopen(server.base_url + "/openapi.json", timeout=10) as resp:
        document = json.load(resp)


def tearDownModule() -> None:
    server.stop()


def claimed_operations() -> Dict[str, Tuple[str, str]]:
    """operationId → (METHOD, path) of every operation with a claimed tag."""
    ops = {}
    for path, item in document["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and CLAIMED_TAGS & set(op.get("tags", [])):
                ops[op["operationId"]] = (method.upper(), path)
    return ops


class ContractTest(unittest.TestCase):
    def test_operations_json_covers_exactly_the_claimed_operations(self) -> None:
        with open(os.path.join(HERE, "operations.json")) as f:
            mapping = json.load(f)
        ops = claimed_operations()
        self.assertIn("getMe", ops)
        self.assertEqual(set(mapping), set(ops))
        for op_id, target in mapping.items():
            with self.subTest(op_id):
                cls_name, _, method_name = target.partition(".")
                method = getattr(getattr(pome, cls_name), method_name)
                self.assertTrue(callable(method))
                # The method says which call it makes: the docstring names it, and must name this one.
                verb, path = ops[op_id]
                self.assertRegex(method.__doc__ or "", re.escape(f"{verb} {path}") + r"[ )?;]")

    def test_version_is_the_documents(self) -> None:
        self.assertEqual(pome.__version__, document["info"]["version"])
        with open(os.path.join(HERE, "pyproject.toml")) as f:
            self.assertIn(f'version = "{document["info"]["version"]}"', f.read())


if __name__ == "__main__":
    unittest.main()
