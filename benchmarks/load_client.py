"""The load client both servers are driven by: keep-alive HTTP/1.1 over asyncio, one process.

    python benchmarks/load_client.py URL BODY_FILE --clients 16 --seconds 10 [--token T]

Each client holds one connection and sends the same POST again as soon as the answer is
read (a closed loop). Prints one JSON line: requests answered, failures (anything but
200), requests per second and latency percentiles in milliseconds. Only the standard
library is used, so the client costs the same whichever server it drives, and it runs in
its own process so its work is not the server's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from urllib.parse import urlsplit


async def one_client(
    host: str, port: int, request: bytes, deadline: float, latencies: list[float]
) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    failures = 0
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            if status_line.split()[1:2] == [b"200"]:
                latencies.append(time.perf_counter() - started)
            else:
                failures += 1
    finally:
        writer.close()
    return failures


async def drive(url: str, body: bytes, token: str, clients: int, seconds: float) -> dict:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    request = (
        f"POST {parts.path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Content-Type: application/json\r\n"
        + (f"Authorization: Bearer {token}\r\n" if token else "")
        + f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    latencies: list[float] = []
    started = time.perf_counter()
    failures = await asyncio.gather(
        *(one_client(host, port, request, started + seconds, latencies) for _ in range(clients))
    )
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)

    def percentile(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else 0

    return {
        "requests": len(latencies),
        "failures": sum(failures),
        "per_second": len(latencies) / elapsed,
        "p50_ms": percentile(0.50),
        "p99_ms": percentile(0.99),
        "mean_ms": statistics.fmean(ordered) * 1000 if ordered else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("body_file")
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--token", default="")
    args = parser.parse_args()
    with open(args.body_file, "rb") as handle:
        body = handle.read()
    result = asyncio.run(drive(args.url, body, args.token, args.clients, args.seconds))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
