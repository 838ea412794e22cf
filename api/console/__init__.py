"""The console (SPEC §14): server-rendered pages where people fix what the rules could not
decide — pending threads, unmatched addresses, quarantine, failed messages — and read a
decision or a contact's timeline.

Served by the API process under /console/, rendered with aiohttp-jinja2 (no JavaScript).
A page sees exactly what the API shows the same token: the caller is built by
`api.auth.caller_of_token_hash`, and the pages call the API's own access checks
(`api.access`) and store queries. Signed in with an API token (api/console/session.py).
"""
