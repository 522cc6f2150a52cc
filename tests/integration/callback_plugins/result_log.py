# Test-only callback: writes every task result as a JSON line to $TENANTOPS_RESULT_LOG.
from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: result_log
type: aggregate
short_description: write task results as JSON lines (tenantops.entra tests)
description: [Writes host, task name, status and the result dict of each task to $TENANTOPS_RESULT_LOG.]
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "result_log"
    CALLBACK_NEEDS_ENABLED = True

    def _write(self, result, status):
        path = os.environ.get("TENANTOPS_RESULT_LOG")
        if not path:
            return
        entry = {"host": result._host.get_name(), "task": result._task.get_name(), "status": status,
                 "result": result._result}
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, default=str) + "\n")

    def v2_runner_on_ok(self, result):
        self._write(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._write(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._write(result, "unreachable")
