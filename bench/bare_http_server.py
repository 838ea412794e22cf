"""The ceiling for POST /v1/log: a bare aiohttp handler that reads the body and answers JSON.

Usage: python bench/bare_http_server.py PORT
"""

from __future__ import annotations

import sys

from aiohttp import web


async def log(request: web.Request) -> web.Response:
    """Read the raw message and answer a small JSON body, doing nothing else."""
    body = await request.read()
    return web.json_response({"received": len(body), "outcomes": []})


def main(port: int) -> None:
    """Serve POST /v1/log on 127.0.0.1:port until killed."""
    app = web.Application(client_max_size=30 * 1024 * 1024)
    app.router.add_post("/v1/log", log)
    app.router.add_get("/healthz", lambda request: web.json_response({"status": "ok"}))
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main(int(sys.argv[1]))
