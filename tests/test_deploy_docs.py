"""Issue 14 point 2: what a deployment reads stays documented and well-formed. Every
configuration key of `admints/config.py` and every variable of `gunicorn.conf.py` is in the
README's « Déployer pour une académie » table; `gunicorn.conf.py` takes workers × threads and
the address from the environment; `make serve` migrates before gunicorn; `compose.yaml` (not
runnable here: no Docker) has the five processes and services wired to each other. PyYAML is not
a dependency: a minimal block-YAML reader (mappings, `- item` lists, scalars) reads it, which
also keeps the file to that plain subset."""

from __future__ import annotations

import ast
import json
import re
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## Déployer pour une académie"


def _config_keys() -> set[str]:
    """Upper-case attributes of `Config` and the keys `config.py` reads (`config["X"]`,
    `config.get("X")`)."""
    tree = ast.parse((ROOT / "admints" / "config.py").read_text())
    keys = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "Config":
            keys |= {t.id for st in node.body if isinstance(st, ast.Assign)
                     for t in st.targets if isinstance(t, ast.Name) and t.id.isupper()}
        literal = None
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            literal = node.slice.value
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "get"
              and node.args and isinstance(node.args[0], ast.Constant)):
            literal = node.args[0].value
        if isinstance(literal, str) and literal.isupper():
            keys.add(literal)
    return keys


def _gunicorn_vars() -> set[str]:
    return set(re.findall(r'os\.environ\.get\("([A-Z_]+)"',
                          (ROOT / "gunicorn.conf.py").read_text()))


def _section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start:end if end != -1 else len(text)]


def test_issue14_every_config_key_is_in_the_readme_table():
    section = _section()
    table = "\n".join(line for line in section.splitlines() if line.startswith("| `"))
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    keys = _config_keys() | _gunicorn_vars() | {"CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"}
    assert len(keys) > 55
    assert keys <= documented, f"absentes du README : {sorted(keys - documented)}"
    for process in ("make serve", "make worker", "make beat", "PostgreSQL", "Redis",
                    "relais SMTP", "compose.yaml", "n'a pas été exécuté ici"):
        assert process in section


def test_issue14_gunicorn_workers_threads_and_bind_from_environment(monkeypatch):
    for name in _gunicorn_vars():
        monkeypatch.delenv(name, raising=False)
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert (conf["bind"], conf["workers"], conf["threads"]) == ("127.0.0.1:8000", 2, 4)
    assert conf["worker_class"] == "gthread"
    monkeypatch.setenv("WEB_CONCURRENCY", "5")
    monkeypatch.setenv("GUNICORN_THREADS", "3")
    monkeypatch.setenv("GUNICORN_BIND", "0.0.0.0:8123")
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert (conf["bind"], conf["workers"], conf["threads"]) == ("0.0.0.0:8123", 5, 3)


def test_issue14_make_serve_migrates_then_starts_gunicorn():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile[makefile.index("\nserve:"):].split("\n\n", 1)[0]
    assert recipe.index("db upgrade") < recipe.index("gunicorn -c gunicorn.conf.py")
    assert "gunicorn==" in (ROOT / "requirements.txt").read_text()
    assert "bench-load:" in makefile and "bench/load.py" not in makefile.split(
        "\nbench:")[1].split("\n\n")[0]


# ------------------------------------------------------------------ compose.yaml

def _scalar(raw: str):
    raw = raw.strip()
    if raw.startswith("["):
        return json.loads(raw)
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return raw[1:-1]
    return raw


def _block(lines: list[tuple[int, str]], i: int, indent: int):
    if lines[i][1].startswith("- "):
        items = []
        while i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("- "):
            items.append(_scalar(lines[i][1][2:]))
            i += 1
        return items, i
    mapping: dict = {}
    while i < len(lines) and lines[i][0] == indent:
        key, sep, rest = lines[i][1].partition(":")
        assert sep and key.strip() == key and key not in mapping, lines[i]
        i += 1
        if rest.strip():
            mapping[key] = _scalar(rest)
        elif i < len(lines) and lines[i][0] > indent:
            mapping[key], i = _block(lines, i, lines[i][0])
        else:
            mapping[key] = None
    assert i == len(lines) or lines[i][0] < indent, f"indentation : {lines[i]}"
    return mapping, i


def read_yaml(text: str):
    assert "\t" not in text
    lines = [(len(line) - len(line.lstrip(" ")), line.strip()) for line in text.splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    value, end = _block(lines, 0, 0)
    assert end == len(lines)
    return value


def test_issue14_compose_starts_postgres_redis_web_worker_beat():
    try:
        import yaml  # used when available, to agree with the minimal reader
    except ImportError:
        yaml = None
    text = (ROOT / "compose.yaml").read_text()
    compose = read_yaml(text)
    if yaml is not None:
        assert yaml.safe_load(text) == compose
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "web", "worker", "beat"}
    known = _config_keys() | _gunicorn_vars() | {"CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"}
    for name, target in (("web", "serve"), ("worker", "worker"), ("beat", "beat")):
        service = services[name]
        assert service["build"] == "." and service["command"] == ["make", target]
        env = service["environment"]
        assert env["DATABASE_URL"].startswith("postgresql://") and "@postgres/" in \
            env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:")
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:")
        assert "${SECRET_KEY:?" in env["SECRET_KEY"] and "${DATA_KEYS:?" in env["DATA_KEYS"]
        assert set(env) <= known, f"{name}: variables inconnues {set(env) - known}"
        assert "output:/srv/admints-output" in service["volumes"]
        assert env["OUTPUT_DIR"] == "/srv/admints-output"
        depends = service["depends_on"]
        assert set(depends) <= set(services)
    assert services["web"]["environment"]["GUNICORN_BIND"] == "0.0.0.0:8000"
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert set(compose["volumes"]) == {"pgdata", "redisdata", "output"}
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'CMD ["make", "serve"]' in dockerfile and "requirements.txt" in dockerfile


def test_issue14_minimal_yaml_reader_refuses_bad_indentation():
    with pytest.raises(AssertionError):
        read_yaml("services:\n  web:\n    image: x\n   build: .\n")
    assert read_yaml("a:\n  - 1\n  - \"b:c\"\nd: [\"x\"]\n") == {"a": ["1", "b:c"], "d": ["x"]}
