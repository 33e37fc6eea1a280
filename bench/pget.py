#!/usr/bin/python3
"""pget: send every GET at once, wait for every answer, print the wall time.

    pget.py [--expect TEXT] URL...   (or the URLs one a line on stdin)

Used to ask blackbox_exporter for N probes in parallel, as Prometheus
would. The time printed is from the first connect to the last answer in
milliseconds, without this script's own start-up; then the number of
answers that were HTTP 200 and contained TEXT (when given)."""
import asyncio
import sys
import time
from urllib.parse import urlsplit


async def get(url, expect):
    u = urlsplit(url)
    path = u.path + ("?" + u.query if u.query else "")
    reader, writer = await asyncio.open_connection(u.hostname, u.port or 80)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {u.netloc}\r\nConnection: close\r\n\r\n".encode())
    data = await reader.read(-1)
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    ok = head.startswith(b"HTTP/1.1 200") and (expect is None or expect.encode() in body)
    return ok


async def main(urls, expect):
    t0 = time.monotonic()
    oks = await asyncio.gather(*(get(u, expect) for u in urls), return_exceptions=True)
    ms = (time.monotonic() - t0) * 1000
    print(f"{ms:.2f} {sum(1 for o in oks if o is True)}")


if __name__ == "__main__":
    args = sys.argv[1:]
    expect = None
    if args[:1] == ["--expect"]:
        expect, args = args[1], args[2:]
    urls = args or [line.strip() for line in sys.stdin if line.strip()]
    asyncio.run(main(urls, expect))
