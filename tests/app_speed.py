"""What makes the per-test app cheap (the suite builds one app and one database per test):

- Werkzeug generates and compiles Python code for the URL builder of every rule it binds (~200
  rules an app, ~60 % of `create_app`). That code depends only on the rule's text, its parts
  and its defaults, so identical rules of successive apps in one test process share it.
- The SQLite schema is created once per test process (`schema_file`) and copied per test: the
  same file `create_all` would write, for a copy's cost.

Test-only: the product builds its app once per process."""

from __future__ import annotations

from werkzeug.routing import rules

_original_compile_builder = rules.Rule._compile_builder
_builders: dict = {}


def _shared_compile_builder(self, append_unknown: bool = True):
    defaults = self.defaults or {}
    dynamic = {data for is_dynamic, data in self._trace if is_dynamic}
    if dynamic & set(defaults):  # a default converted into the code: not shared
        return _original_compile_builder(self, append_unknown)
    key = (self.rule, tuple(self._trace), tuple(sorted(defaults.items())), append_unknown)
    try:
        builder = _builders.get(key)
    except TypeError:  # an unhashable default
        return _original_compile_builder(self, append_unknown)
    if builder is None:
        builder = _builders[key] = _original_compile_builder(self, append_unknown)
    return builder


def share_url_builders() -> None:
    rules.Rule._compile_builder = _shared_compile_builder
