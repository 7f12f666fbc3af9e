"""Tizim as `make serve` runs it, for the tests and benchmarks that need the real processes.

- ``serve_env`` / ``write_env``: the settings file of one run (its own database, Redis database,
  ports, mail folder and a marker that every process inherits);
- ``Processes``: the Procfile's processes, each started as honcho starts it (``sh -c`` in a
  session of its own), but one by one, so a test can kill or stop one and start it again —
  honcho ends every process when one stops;
- ``Sink``: the mail sink's Maildir, read as the messages arrive;
- ``Browser``: a person at a browser: cookies, the login form, and any form on a page parsed
  and submitted with its hidden fields (the CSRF token, the version) as a browser would.

Every wait is bounded and says what it waited for.
"""

from __future__ import annotations

import email
import http.cookiejar
import json
import mailbox
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

from tests.livekit import SECRET, free_port, wait_for

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MARKER = "TIZIM_SERVE_RUN"


def serve_env(folder: Path, database_url: str, redis_url: str, **overrides) -> dict[str, str]:
    """The settings of one `make serve` run, everything in ``folder`` or on a free port."""
    web_port, mail_port = free_port(), free_port()
    env = {
        "TIZIM_CONFIG": "production", "SECRET_KEY": SECRET, "DATABASE_URL": database_url,
        "REDIS_URL": redis_url, "RATELIMIT_STORAGE_URI": redis_url,
        "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(mail_port),
        "MAIL_SINK_DIR": str(folder / "mail"), "UPLOAD_DIR": str(folder / "uploads"),
        "BEAT_SCHEDULE_FILE": str(folder / "beat" / "celerybeat-schedule"),
        "WEB_BIND": f"127.0.0.1:{web_port}", "PUBLIC_BASE_URL": f"http://127.0.0.1:{web_port}",
        "WEB_WORKERS": "2", "WORKER_CONCURRENCY": "2", "SESSION_COOKIE_SECURE": "0",
        # As `make serve`'s defaults: the development seal, made by `prepare` in this folder.
        "SEAL_PKCS12_PATH": str(folder / "seal-DEVELOPMENT-ONLY.p12"),
        "SEAL_PKCS12_PASSWORD": "development-only",
        MARKER: uuid.uuid4().hex,
    }
    env.update({k: str(v) for k, v in overrides.items()})
    return env


def write_env(path: Path, env: dict[str, str]) -> Path:
    path.write_text("".join(f"{k}={v}\n" for k, v in env.items()), encoding="utf-8")
    return path


def base_url(env: dict[str, str]) -> str:
    return f"http://{env['WEB_BIND']}"


def prepare(env_file: Path, timeout: float = 300) -> None:
    """What `make serve` does before honcho: create, migrate, regions, demo data."""
    done = subprocess.run([sys.executable, "scripts/serve.py", "prepare", str(env_file)],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]


def readiness(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=3) as response:  # noqa: S310
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)
    except OSError:
        return 0, {}


def wait_ready(url: str, timeout: float = 90) -> dict:
    wait_for(lambda: readiness(url)[0] == 200, timeout, f"{url}/readyz to say ready", every=0.3)
    return readiness(url)[1]


def processes_marked(marker: str) -> list[int]:
    """Pids of every process whose environment carries this run's marker."""
    needle = f"{MARKER}={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if needle in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:  # gone meanwhile, or not ours to read
                pass
    return found


def procfile() -> dict[str, str]:
    """The Procfile's processes, name → command, parsed as honcho parses it."""
    line = re.compile(r"^([A-Za-z0-9_-]+):\s*(.+)$")
    return {m[1]: m[2] for m in map(line.match, (ROOT / "Procfile").read_text().splitlines()) if m}


class Processes:
    """The Procfile's processes, each in a session of its own (as honcho starts them)."""

    def __init__(self, env: dict[str, str], logs: Path):
        self.env = {**os.environ, **env, "PATH": f"{BIN}:{os.environ.get('PATH', '')}"}
        self.logs = logs
        self.logs.mkdir(parents=True, exist_ok=True)
        self.commands = procfile()
        self.running: dict[str, subprocess.Popen] = {}
        if env.get("BEAT_SCHEDULE_FILE"):  # beat does not create the folder of its file
            Path(env["BEAT_SCHEDULE_FILE"]).parent.mkdir(parents=True, exist_ok=True)

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self, *names: str) -> Processes:
        for name in names or tuple(self.commands):
            with open(self.logs / f"{name}.log", "ab") as log:
                self.running[name] = subprocess.Popen(
                    self.commands[name], shell=True, cwd=ROOT, env=self.env, stdout=log,  # noqa: S602
                    stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def signal(self, name: str, sig: int) -> None:
        process = self.running[name]
        if process.poll() is None:
            os.killpg(process.pid, sig)

    def kill(self, name: str) -> None:
        """SIGKILL the process and its children, as a crash or the OOM killer would."""
        self.signal(name, signal.SIGKILL)
        self.running[name].wait(timeout=10)

    def stop(self, name: str, timeout: float = 20) -> int:
        """SIGTERM, as honcho or an init system stops it; SIGKILL after ``timeout``."""
        process = self.running[name]
        self.signal(name, signal.SIGTERM)
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill(name)
            raise AssertionError(f"{name} ignored SIGTERM for {timeout} s:\n"
                                 f"{self.log(name)[-2000:]}") from None

    def stop_all(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for name, process in self.running.items():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.kill(name)

    def alive(self, name: str) -> bool:
        return name in self.running and self.running[name].poll() is None


class Sink:
    """The mail sink's Maildir: every message the Procfile's `mail` process accepted."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def messages(self) -> list[email.message.Message]:
        if not (self.folder / "new").exists():
            return []
        return [message for _, message in mailbox.Maildir(self.folder, create=False).iteritems()]

    def delivery_keys(self) -> Counter:
        """How many copies of each delivery (the ``X-Tizim-Delivery`` header) arrived."""
        return Counter(m["X-Tizim-Delivery"] for m in self.messages())


class _Forms(HTMLParser):
    """Every form on a page: its action, method, fields and submit buttons."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._button: dict | None = None
        self._textarea: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "method": a.get("method", "get"),
                               "fields": {}, "buttons": []})
        elif not self.forms:
            return
        elif tag == "input" and a.get("name"):
            if a.get("type") in {"submit", "image"}:
                self.forms[-1]["buttons"].append({"name": a["name"], "value": a.get("value", ""),
                                                  "text": a.get("value", "")})
            elif a.get("type") not in {"checkbox", "radio"} or "checked" in a:
                self.forms[-1]["fields"][a["name"]] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = {"name": a["name"], "text": ""}
        elif tag == "button" and a.get("type", "submit") == "submit":
            self._button = {"name": a.get("name", ""), "value": a.get("value", ""), "text": ""}

    def handle_data(self, data):
        if self._button is not None:
            self._button["text"] += data
        if self._textarea is not None:
            self._textarea["text"] += data

    def handle_endtag(self, tag):
        if tag == "button" and self._button is not None and self.forms:
            self._button["text"] = self._button["text"].strip()
            self.forms[-1]["buttons"].append(self._button)
            self._button = None
        elif tag == "textarea" and self._textarea is not None and self.forms:
            self.forms[-1]["fields"][self._textarea["name"]] = self._textarea["text"]
            self._textarea = None


class Browser:
    """Cookies, redirects, and forms submitted with what the page put in them."""

    def __init__(self, base: str, language: str = "en"):
        self.base = base
        self.language = language
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.url = base

    def open(self, path: str, data: dict | None = None) -> str:
        url = urllib.parse.urljoin(self.url, path)
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body, headers={
            "Accept-Language": self.language, "User-Agent": "tizim-tests"})
        with self.opener.open(request, timeout=30) as response:
            self.url = response.geturl()
            return response.read().decode()

    def forms(self, html: str) -> list[dict]:
        parser = _Forms()
        parser.feed(html)
        return parser.forms

    def submit(self, html: str, button: str, **fields: str) -> str:
        """Press the submit button whose value or text is ``button``, as a browser sends it."""
        for form in self.forms(html):
            for b in form["buttons"]:
                if button in (b["value"], b["text"]):
                    data = {**form["fields"], **fields}
                    if b["name"]:
                        data[b["name"]] = b["value"]
                    return self.open(form["action"] or self.url, data)
        raise AssertionError(f"no button {button!r} on {self.url}")

    def log_in(self, email_address: str, password: str) -> str:
        page = self.open("/auth/login")
        for form in self.forms(page):
            if "password" in form["fields"]:
                return self.submit(page, next(b["value"] or b["text"] for b in form["buttons"]),
                                   email=email_address, password=password)
        raise AssertionError("no login form on /auth/login")
