"""`hybridcoder models`: typos in the command line and a web server on Ollama's port, each one line."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hybridcoder.cli import main


@pytest.fixture
def web_server() -> Iterator[str]:
    """A plain web server that answers every request with an HTML error page, as python -m http.server does."""

    class Pages(BaseHTTPRequestHandler):
        def _page(self) -> None:
            body = b"<!DOCTYPE HTML>\n<html>\n<body>\n<h1>Error response</h1>\n<p>Error code: 501</p>\n</body>\n</html>\n"
            self.send_response(501)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = _page

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("action", [["list"], ["pull", "qwen2.5-coder:7b"], ["rm", "qwen2.5-coder:7b"],
                                    ["load", "qwen2.5-coder:7b"]])
def test_a_web_page_instead_of_ollama_is_one_line(action: list[str], web_server: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", *action, "--ollama-url", web_server]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "<" not in err
    assert "did not answer like Ollama (HTTP 501)" in err


@pytest.mark.parametrize("tag", ["", "   "])
def test_an_empty_model_name_is_a_usage_error(tag: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "pull", tag]) == 2
    assert "give a model name and tag" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["-5", "0"])
def test_a_context_length_must_be_positive(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "load", "qwen2.5-coder:7b", "--num-ctx", value]) == 2
    assert "is not a context length" in capsys.readouterr().err
