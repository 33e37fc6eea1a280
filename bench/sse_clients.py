#!/usr/bin/python3
"""N status pages' event streams, held open at once on one healthtop.

    sse_clients.py PORT N READY_FILE EVENTS_FILE

Opens N streams of /api/v1/events one after the other (as pages open:
a connection counts as a stream once its request is read), writes N to
READY_FILE when every one has had its first event, then reads all of them
until SIGTERM. For each state change an event carries, one line goes to
EVENTS_FILE: "wall_time_s stream service to_state"; on SIGUSR1 a line
"bytes N" says how many bytes all the streams have received so far. Stops
with exit 1 if a stream closes. CPU spent here is not healthtop's: the benchmark measures
healthtop's process alone."""
import json
import selectors
import signal
import socket
import sys
import time

port, n, ready, events = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
sel = selectors.DefaultSelector()
bufs = {}
received = 0
out = open(events, "a", buffering=1)


def feed(i, data):
    """Appends data to stream i's buffer and handles the whole events in it."""
    bufs[i] += data
    while b"\n\n" in bufs[i]:
        block, bufs[i] = bufs[i].split(b"\n\n", 1)
        for line in block.split(b"\n"):
            if line.startswith(b"data: "):
                now = time.time()
                for c in json.loads(line[6:])["changes"]:
                    out.write("%.6f %d %s %s\n" % (now, i, c["name"], c["to"]))


socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: bench\r\n\r\n")
    got = b""
    while b"event: state" not in got:
        chunk = s.recv(1 << 20)
        if not chunk:
            sys.exit("stream %d closed before its first event" % i)
        got += chunk
    bufs[i] = got.split(b"\r\n\r\n", 1)[1]
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, i)
    socks.append(s)
with open(ready, "w") as f:
    f.write("%d\n" % n)

signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
signal.signal(signal.SIGUSR1, lambda *a: out.write("bytes %d\n" % received))
while True:
    for key, _ in sel.select():
        data = key.fileobj.recv(1 << 20)
        if not data:
            sys.exit("stream %d closed" % key.data)
        received += len(data)
        feed(key.data, data)
