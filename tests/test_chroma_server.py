"""Chroma server mode: a real `chroma run` on a loopback port, the assistant as its client.

The server is started from the venv's `chroma` CLI (it comes with chromadb) in a
temporary folder and always stopped at the end of the module.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import make_settings
from test_ingest import PAGE_1, PAGE_2, PAGE_3, TEST_REGION, make_pdf, write_tiny_corpus

pytestmark = pytest.mark.slow

CHROMA = Path(sys.executable).with_name("chroma")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_heartbeat(url: str, process: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"chroma run exited with {process.returncode}:\n{log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"chroma run did not answer within {timeout:.0f} s:\n{log.read_text(errors='replace')[-2000:]}")


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    """URL of a fresh Chroma server on 127.0.0.1; stopped when the module is done."""
    if not CHROMA.exists():
        pytest.skip(f"{CHROMA} not found (the chromadb package installs it)")
    root = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    log = root / "chroma.log"
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(root / "db"), "--host", "127.0.0.1", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_heartbeat(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture
def count_embeddings(monkeypatch):
    """Count the texts the model embeds as documents (chunks and sentences)."""
    from assistant.embedding import SentenceTransformerEmbedding

    counted: list[int] = []
    original = SentenceTransformerEmbedding.encode_documents

    def counting(self, texts, *args, **kwargs):
        counted.append(len(texts))
        return original(self, texts, *args, **kwargs)

    monkeypatch.setattr(SentenceTransformerEmbedding, "encode_documents", counting)
    # llama-index's pipeline embeds chunks through _get_text_embeddings -> encode_documents.
    return counted


def test_assistant_on_a_chroma_server(chroma_server, tmp_path, count_embeddings):
    import chromadb

    from assistant.ask import Assistant
    from assistant.ingest import ingest_paths, list_documents

    corpus = write_tiny_corpus(tmp_path / "corpus")
    settings = make_settings(tmp_path / "data", corpus_dir=corpus, chroma_url=chroma_server,
                             collection="servertest")
    first = Assistant.open(settings)
    answer = first.ask("Hoe lang duurt een brugplaats in Testdorp?")
    assert not answer.refused and "11 weken" in answer.answer, answer.answer
    assert not settings.chroma_dir.exists()  # nothing embedded locally

    # The chunks live on the server.
    url = chroma_server.rsplit(":", 1)
    client = chromadb.HttpClient(host="127.0.0.1", port=int(url[1]))
    on_server = sorted(client.get_collection("servertest_chunks").get(include=[])["ids"])
    assert on_server == sorted(first.index.chunks.get(include=[])["ids"]) and len(on_server) >= 4
    assert count_embeddings, "the first open embeds the corpus"

    # A second open (another process would do the same) uses the index as it is.
    count_embeddings.clear()
    second = Assistant.open(settings)
    assert count_embeddings == []
    assert sorted(second.index.chunks.get(include=[])["ids"]) == on_server
    again = second.ask("Hoe lang duurt een brugplaats in Testdorp?")
    assert again.answer == answer.answer

    # Ingesting in server mode updates the server's collections.
    pdf = make_pdf(tmp_path / "Verzuimprotocol Testregio.pdf", [PAGE_1, PAGE_2, PAGE_3])
    report = ingest_paths([pdf], settings, region=TEST_REGION)
    assert report.ok and [i.status for i in report.added] == ["added"], report.to_json()
    ingested_ids = client.get_collection("servertest_chunks").get(where={"ref_doc_id": "verzuimprotocol-testregio"})
    assert len(ingested_ids["ids"]) == report.items[0].chunks >= 2
    third = Assistant.open(settings)
    answer = third.ask("Na hoeveel uur verzuim meldt de school dit bij de leerplichtambtenaar in Testregio?")
    assert "23 uur" in answer.answer, answer.answer
    assert [c.page for c in answer.citations if "23 uur" in c.text] == [2]
    listed = {d.slug: d.chunks for d in list_documents(settings)}
    assert listed["verzuimprotocol-testregio"] == report.items[0].chunks


def test_a_second_data_dir_reuses_the_server_index(chroma_server, tmp_path, count_embeddings):
    """Another host (its own data dir, same server and collection) must not rebuild the shared index."""
    from assistant.ask import Assistant

    corpus = write_tiny_corpus(tmp_path / "corpus")
    one = make_settings(tmp_path / "one", corpus_dir=corpus, chroma_url=chroma_server, collection="shared")
    two = make_settings(tmp_path / "two", corpus_dir=corpus, chroma_url=chroma_server, collection="shared")
    first = Assistant.open(one)
    ids = sorted(first.index.chunks.get(include=[])["ids"])
    count_embeddings.clear()
    second = Assistant.open(two)
    assert count_embeddings == [], "the second data dir embedded the corpus again"
    assert sorted(second.index.chunks.get(include=[])["ids"]) == ids
    # The first process's collection handles must still work.
    assert "11 weken" in first.ask("Hoe lang duurt een brugplaats in Testdorp?").answer


@pytest.fixture
def auth_proxy(chroma_server):
    """A reverse proxy on loopback that demands HTTP basic auth before forwarding to Chroma
    (what nginx does in docs/chroma-server.md). Yields (url, the Authorization headers it saw)."""
    import base64
    import threading
    import urllib.error
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    expected = "Basic " + base64.b64encode(b"routeboek:geheim:met:dubbelepunt").decode()
    seen: list[str | None] = []

    class Proxy(BaseHTTPRequestHandler):
        def _forward(self):
            seen.append(self.headers.get("Authorization"))
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="chroma"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) or None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "authorization")}
            request = urllib.request.Request(chroma_server + self.path, data=body, headers=headers,
                                             method=self.command)
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    status, payload, kind = response.status, response.read(), response.headers.get("Content-Type")
            except urllib.error.HTTPError as error:
                status, payload, kind = error.code, error.read(), error.headers.get("Content-Type")
            self.send_response(status)
            self.send_header("Content-Type", kind or "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _forward

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_basic_auth_reaches_an_authenticating_proxy(auth_proxy, tmp_path):
    from assistant.ask import Assistant
    from assistant.index import IndexError_, RouteIndex

    url, seen = auth_proxy
    corpus = write_tiny_corpus(tmp_path / "corpus")
    # Without credentials the proxy refuses, and the assistant says so in one line.
    bare = make_settings(tmp_path / "bare", corpus_dir=corpus, chroma_url=url, collection="authtest")
    with pytest.raises(IndexError_, match="cannot use the Chroma server"):
        RouteIndex(bare, embed_model=None, model_id="x")
    auth_file = tmp_path / "chroma-auth"
    auth_file.write_text("# for the proxy\nrouteboek:geheim:met:dubbelepunt\n")
    settings = make_settings(tmp_path / "data", corpus_dir=corpus, chroma_url=url, collection="authtest",
                             chroma_auth_file=auth_file)
    answer = Assistant.open(settings).ask("Hoe lang duurt een brugplaats in Testdorp?")
    assert "11 weken" in answer.answer
    assert seen[-1] and seen[-1].startswith("Basic ")
