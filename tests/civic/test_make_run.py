"""`make run` as a newcomer meets it: embedded defaults, the port from PORT, links in e-mails
that point at that port, and its address printed once the server answers."""

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.civic.test_test_isolation import TEST_ONLY
from tests.worker import ROOT, wait_for


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5):  # noqa: S310 - http to our server
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


@pytest.fixture
def make_run(tmp_path):
    """scripts/run.sh (what `make run` runs after installing) on a port and a var/ of its own."""
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if key not in TEST_ONLY}
    env.pop("CIVIC_SITE_URL", None)
    env.update(PORT=str(port), CIVIC_VAR_DIR=str(tmp_path / "var"))
    process = subprocess.Popen(
        ["bash", "scripts/run.sh"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: the server, worker and beat stop with it
    )
    lines: list[str] = []
    # Whether the server answered at the moment each line was printed.
    answered_when_printed: dict[str, bool] = {}

    def read() -> None:
        for line in process.stdout:
            if line.startswith("civic is at"):
                answered_when_printed[line] = _answers(f"http://127.0.0.1:{port}/healthz")
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        yield port, lines, answered_when_printed, tmp_path / "var"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_make_run_serves_on_port_and_prints_its_address_once_it_answers(make_run):
    port, lines, answered_when_printed, var = make_run
    address = f"http://127.0.0.1:{port}"
    wait_for(
        lambda: any(line.startswith("civic is at") for line in lines),
        timeout=400,
        interval=0.5,
        message="make run never said where it is:\n" + "".join(lines[-40:]),
    )
    printed = next(line for line in lines if line.startswith("civic is at"))
    assert printed.startswith(f"civic is at {address} ")
    assert answered_when_printed[printed] is True

    # A link a worker puts in an e-mail points at the same port (CIVIC_SITE_URL follows PORT).
    cookies = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    form = cookies.open(f"{address}/my-data/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "email": "demo.contact0@example.org"}
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - http to our server
        f"{address}/my-data/", data=body, headers={"Referer": address}
    )
    answer = cookies.open(request, timeout=30)
    assert answer.url == f"{address}/my-data/sent/"

    def link_mailed() -> bool:
        texts = [path.read_text() for path in (var / "mail").glob("*.log")]
        return any(f"{address}/my-data/link/" in text.replace("=\n", "") for text in texts)

    wait_for(link_mailed, timeout=120, message="no e-mail with a link to the port")
