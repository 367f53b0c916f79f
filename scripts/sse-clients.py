#!/usr/bin/python3
"""Many Server-Sent Events clients on loopback, for `scripts/bench.py`.

    sse-clients.py PORT TOKEN N EVENTS TIMEOUT_S

Opens N connections to GET /api/events (HTTP/1.1, Bearer TOKEN) with
asyncio protocols on raw sockets (one callback per read, no task per read,
so the client is cheap next to the server it measures), prints "READY <n>"
once every stream answered 200, then reads until each client has received
EVENTS events (heartbeats do not count) or TIMEOUT_S passed.  Prints one
JSON line: {"connected": n, "failed": n, "complete": n, "recv": {event_id:
[wall-clock receive times, one per client that got it]}}.

Only the event id and the time it arrived are kept; the chunked framing is
not decoded beyond finding "id: " lines, which is enough because the
server writes each event whole.
"""

import asyncio
import json
import re
import sys
import time

ID_RE = re.compile(rb"(?m)^id: (\d+)\r?$")


class Client(asyncio.Protocol):
    def __init__(self, token, want, shared):
        self.token = token
        self.want = want
        self.shared = shared
        self.head = b""
        self.buf = b""
        self.got = 0
        self.ok = None
        self.done = asyncio.get_running_loop().create_future()
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport
        transport.write(("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                         "Authorization: Bearer %s\r\n\r\n" % self.token).encode())

    def data_received(self, data):
        now = time.time()
        if self.ok is None:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            self.ok = self.head.startswith(b"HTTP/1.1 200")
            self.shared["connected" if self.ok else "failed"] += 1
            self.shared["ready"].release()
            data = self.head[end + 4:]
            if not self.ok:
                self.transport.close()
                return
        self.buf += data
        cut = self.buf.rfind(b"\n")
        if cut < 0:
            return
        lines, self.buf = self.buf[:cut + 1], self.buf[cut + 1:]
        recv = self.shared["recv"]
        for m in ID_RE.finditer(lines):
            recv.setdefault(int(m.group(1)), []).append(now)
            self.got += 1
        if self.got >= self.want:
            self.shared["complete"] += 1
            self.transport.close()

    def connection_lost(self, exc):
        if self.ok is None:
            self.shared["failed"] += 1
            self.shared["ready"].release()
        if not self.done.done():
            self.done.set_result(None)


async def main():
    port, token, n, want, timeout = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), \
        float(sys.argv[5])
    loop = asyncio.get_running_loop()
    shared = {"connected": 0, "failed": 0, "complete": 0, "recv": {}, "ready": asyncio.Semaphore(0)}
    clients = []
    for i in range(n):
        try:
            _, c = await loop.create_connection(lambda: Client(token, want, shared), "127.0.0.1", port)
            clients.append(c)
        except OSError:
            shared["failed"] += 1
            shared["ready"].release()
        if i % 50 == 49:
            await asyncio.sleep(0.02)  # do not overflow the listen backlog
    for _ in range(n):
        await asyncio.wait_for(shared["ready"].acquire(), 60)
    print("READY %d" % shared["connected"], flush=True)
    await asyncio.wait([c.done for c in clients], timeout=timeout)
    for c in clients:
        if c.transport is not None:
            c.transport.close()
    del shared["ready"]
    print(json.dumps(shared), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
