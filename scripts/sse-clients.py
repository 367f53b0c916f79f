#!/usr/bin/python3
"""Many Server-Sent Events clients on loopback, for `scripts/bench.py`.

    sse-clients.py PORT TOKEN N EVENTS TIMEOUT_S

Opens N connections to GET /api/events (HTTP/1.1, Bearer TOKEN) with
asyncio and raw sockets, prints "READY <n>" once every stream answered 200
and sent its first bytes, then reads until each client has received EVENTS
events (heartbeats do not count) or TIMEOUT_S passed.  Prints one JSON line:
{"connected": n, "failed": n, "complete": n, "recv": {event_id: [wall-clock
receive times, one per client that got it]}}.

Only the event id and the time it arrived are kept; the chunked framing is
not decoded beyond finding "id: " lines, which is enough because the
server writes each event whole.
"""

import asyncio
import json
import re
import sys
import time

ID_RE = re.compile(rb"(?m)^id: (\d+)$")


async def client(port, token, want, recv, ready, go, stats, deadline):
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        stats["failed"] += 1
        ready.release()
        return
    writer.write(("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                  "Authorization: Bearer %s\r\n\r\n" % token).encode())
    await writer.drain()
    got = 0
    buf = b""
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        if not head.startswith(b"HTTP/1.1 200"):
            stats["failed"] += 1
            ready.release()
            return
        stats["connected"] += 1
        ready.release()
        while got < want:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            data = await asyncio.wait_for(reader.read(65536), left)
            now = time.time()
            if not data:
                break
            buf += data
            # keep only the unfinished tail line
            cut = buf.rfind(b"\n")
            lines, buf = buf[:cut + 1], buf[cut + 1:]
            for m in ID_RE.finditer(lines):
                recv.setdefault(int(m.group(1)), []).append(now)
                got += 1
        if got >= want:
            stats["complete"] += 1
    except (asyncio.TimeoutError, OSError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def main():
    port, token, n, want, timeout = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), \
        float(sys.argv[5])
    recv, stats = {}, {"connected": 0, "failed": 0, "complete": 0}
    ready = asyncio.Semaphore(0)
    deadline = time.monotonic() + timeout
    tasks = []
    for i in range(n):
        tasks.append(asyncio.create_task(client(port, token, want, recv, ready, None, stats, deadline)))
        if i % 50 == 49:
            await asyncio.sleep(0.02)  # do not overflow the listen backlog
    for _ in range(n):
        await ready.acquire()
    print("READY %d" % stats["connected"], flush=True)
    await asyncio.gather(*tasks)
    stats["recv"] = recv
    print(json.dumps(stats), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
