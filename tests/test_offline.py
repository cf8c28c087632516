"""The whole DAG builds without a network: a clean copy rebuilt inside `unshare -rn`.

The rebuild is the one `make verify` does (tests/test_verify.py::checked_copy runs it once per
test run for both files): sources as git lists them, built in a user and network namespace
whose only interface is loopback, which the Jupyter kernels need.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from compendium.verify import LOOPBACK_UP
from tests.test_verify import checked_copy


def _unshare() -> str:
    """Why `unshare -rn` cannot run here, or '' when it can."""
    try:
        done = subprocess.run(
            ["unshare", "-rn", "true"], capture_output=True, text=True, timeout=60, check=False
        )
    except (FileNotFoundError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    return "" if done.returncode == 0 else (done.stderr.strip() or f"exit {done.returncode}")


UNSHARE_PROBLEM = _unshare()
needs_unshare = pytest.mark.skipif(
    bool(UNSHARE_PROBLEM),
    reason=f"`unshare -rn true` fails on this machine ({UNSHARE_PROBLEM}): user and network "
    "namespaces are not available, so a build cannot be cut off the network here",
)

PROBE = """\
import socket
names = sorted(name for _, name in socket.if_nameindex())
server = socket.create_server(("127.0.0.1", 0))
socket.create_connection(server.getsockname(), timeout=5).close()
try:
    socket.create_connection(("192.0.2.1", 80), timeout=5)  # TEST-NET-1, never routed
    outside = "reachable"
except OSError:
    outside = "unreachable"
print(" ".join(names), outside)
"""


@needs_unshare
def test_the_namespace_has_loopback_and_nothing_else() -> None:
    done = subprocess.run(
        ["unshare", "-rn", sys.executable, "-c", LOOPBACK_UP, sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["lo", "unreachable"]


@pytest.mark.slow
@pytest.mark.xdist_group("e2e")
@needs_unshare
def test_a_clean_copy_builds_offline(request: pytest.FixtureRequest) -> None:
    done = checked_copy(request)
    assert "offline: yes (unshare -rn" in done.stdout, done.stdout[:2000]
    assert "build FAILED" not in done.stdout, done.stdout[-6000:]
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    documents = sorted(p.name for p in (done.kept / "compendium/results/manuscripts").iterdir())
    assert len(documents) == 12 and documents[0] == "article1.docx"
