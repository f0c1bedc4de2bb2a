"""A real `pome serve` for the tests, from the binary in POME_BIN (sdk/sdk_test.go builds it)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import threading
from typing import List

# Links of portal sessions need a public URL; nothing is served there.
PUBLIC_URL = "http://keys.example.test"


class PomeServer:
    """One `pome serve` on a free port of 127.0.0.1, with its own data directory."""

    def __init__(self, *extra: str) -> None:
        self.bin = os.environ.get("POME_BIN")
        if not self.bin:
            raise RuntimeError("POME_BIN is not set: run the suite through `go test ./sdk`, or set it to a built pome")
        self.data = tempfile.mkdtemp(prefix="pome-py-")
        os.chmod(self.data, 0o700)
        self.proc = subprocess.Popen(
            [self.bin, "serve", "--addr", "127.0.0.1:0", "--data-dir", self.data, "--signup", "open",
             "--webhook-allow-private", "--public-url", PUBLIC_URL, *extra],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        self.base_url = self._listening()

    def _listening(self) -> str:
        found: List[str] = []
        done = threading.Event()

        def read() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                m = re.search(r"Pome listening on (http://\S+)", line)
                if m and not found:
                    found.append(m.group(1))
                    done.set()
            done.set()

        self._reader = threading.Thread(target=read, daemon=True)
        self._reader.start()
        if not done.wait(20) or not found:
            self.stop()
            raise RuntimeError("pome serve did not start")
        return found[0]

    def service_token(self, name: str, scope: str = "all") -> str:
        """A new service token with ``scope``, made by `pome admin service-token create`."""
        out = subprocess.run(
            [self.bin, "admin", "service-token", "create", name, "--data-dir", self.data, "--scope", scope],
            check=True, capture_output=True, text=True,
        )
        return out.stdout.strip()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(5)  # it reads to the end of the dead process's output
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        shutil.rmtree(self.data, ignore_errors=True)


def unique(prefix: str, _counter: List[int] = [0]) -> str:
    """A name no other test of the run uses (slugs and external ids are unique)."""
    _counter[0] += 1
    return f"{prefix}-{os.getpid()}-{_counter[0]}"

