"""Reads that coroutines issue at the same moment, sent as one Graph ``$batch``.

A tenant's whole state is read by many small readers running concurrently (policy, default,
partners, guest settings, guests).  Each calls ``get`` as if alone; the GETs queued within one
turn of the event loop leave together, up to 20 per ``$batch``
(https://learn.microsoft.com/graph/json-batching), and a lone GET goes out as itself.  Writes are
not batched: they are sent in order by the caller.
"""
from __future__ import annotations

import asyncio
from urllib.parse import urlencode

from .errors import GraphError
from .graph import ReadVerbs

BATCH_LIMIT = 20


def error_from_item(method: str, path: str, status: int, body) -> GraphError:
    """A GraphError for one ``$batch`` item's failed answer."""
    error = ((body or {}).get("error") or {}) if isinstance(body, dict) else {}
    return GraphError(method, path, status, error.get("code", ""), error.get("message", ""))


class BatchingReader(ReadVerbs):
    """``get`` (and so ``get_or_none``/``list_all``) like :class:`GraphClient`, coalesced into ``$batch``."""

    def __init__(self, graph):
        self.graph = graph
        self._queue: list = []
        self._flushing = None

    @property
    def beta(self):
        """Graph beta, unbatched: a v1.0 ``$batch`` carries only v1.0 requests."""
        return self.graph.beta

    async def get(self, path: str, params: dict | None = None):
        url = self._relative(path, params)
        status, body = await self._enqueue(url)
        if not 200 <= status < 300:
            raise error_from_item("GET", url.split("?")[0], status, body)
        return body

    async def batch(self, requests: list) -> dict:
        """Like :meth:`GraphClient.batch`; GETs join the reads in flight, anything else goes as it is."""
        if any(r["method"].upper() != "GET" for r in requests):
            return await self.graph.batch(requests)
        answers = await asyncio.gather(*(self._enqueue_or_error(r["url"]) for r in requests))
        return {str(r["id"]): answer for r, answer in zip(requests, answers)}

    async def _enqueue(self, url: str) -> tuple:
        future = asyncio.get_running_loop().create_future()
        self._queue.append((url, future))
        if self._flushing is None:
            self._flushing = asyncio.ensure_future(self._flush())
        return await future

    async def _enqueue_or_error(self, url: str) -> tuple:
        try:
            return await self._enqueue(url)
        except GraphError as err:
            return err.status, {"error": {"code": err.code, "message": err.message}}

    def _relative(self, path: str, params: dict | None) -> str:
        if path.startswith(self.graph.base_url):
            path = path[len(self.graph.base_url):]
        if params:
            path += ("&" if "?" in path else "?") + urlencode(params, safe="$,'()=")
        return path

    async def _flush(self) -> None:
        # Let every coroutine started in this turn reach its first read before sending.
        for _turn in range(3):
            await asyncio.sleep(0)
        queue, self._queue, self._flushing = self._queue, [], None
        try:
            if len(queue) == 1:
                return await self._single(*queue[0])
            answers = await self.graph.batch([{"id": str(i), "method": "GET", "url": url}
                                              for i, (url, _future) in enumerate(queue)])
        except Exception as exc:  # the transport's own errors: every waiting reader gets them
            for _url, future in queue:
                if not future.done():
                    future.set_exception(exc)
            return
        for index, (_url, future) in enumerate(queue):
            future.set_result(answers.get(str(index), (0, {"error": {"message": "no answer in the $batch response"}})))

    async def _single(self, url: str, future) -> None:
        try:
            future.set_result((200, await self.graph.get(url)))
        except Exception as exc:  # handed to the reader that asked, with its request-id intact
            future.set_exception(exc)
