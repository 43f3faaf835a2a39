#!/usr/bin/env python3
"""Measures `pinscope demo` in a pseudo-terminal, as a user would run it.

- start-up: time from starting the process to the first frame that shows demo data
  (the status bar's "of 340 loaded"), over several runs (target <= 50 ms);
- idle wake-ups: context switches of all the process's threads during 10 s of doing
  nothing after the first frame (target 0);
- peak RSS (VmHWM) after browsing: all pages loaded, a detail opened, a search typed
  (targets: `pinscope demo` <= 14 MB; with --server, the TUI alone against a
  `pinscope serve` in another process <= 12 MB);
- the exit status after `q` (0).

With --mirror N, the TUI starts on a synced local mirror of a generated tracker of N
customizations (served by `pinscope serve`, synced by `pinscope sync` first) and the
measures are: start-up to the first frame with data (the status bar's "N
customizations"; target <= 30 ms), End to the real last row, a filter change and `*`
(select every row) as seen on screen, a search keystroke to the frame with its hits
(target <= 10 ms), and peak RSS (target <= 25 MB).

Uses only the standard library (pty). Builds the release binary first unless
--no-build is given. --bin measures another build of pinscope.

    python3 scripts/bench-tui.py [--runs 5] [--idle 10] [--size 120x40] [--server] [--no-build]
    python3 scripts/bench-tui.py --mirror 100000 [--runs 5] [--no-build]
"""

import argparse
import fcntl
import os
import pty
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "pinscope")
COLS, ROWS = 120, 40
# What a user types on the tracker search (`/`), as in `benches/mirror.rs`; the last key of
# each is the one measured. One letter alone does not search.
SEARCHES = ["ac", "acme", "acme gu", "acme guitar 12", "p/00123", "w-home"]
ANSI = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[()][A-Za-z0-9]|\x1b[=>78]")


class Demo:
    """`pinscope demo` on a pty of COLS x ROWS."""

    def __init__(self, data_dir, server=None, tracker=None):
        env = dict(os.environ)
        env.update(
            {
                "PINSCOPE_DATA_DIR": data_dir,
                "PINSCOPE_CONFIG": os.path.join(data_dir, "no-config.toml"),
                "TERM": "xterm-256color",
                "RUST_BACKTRACE": "0",
            }
        )
        argv = [BIN, "demo"]
        if server is not None:
            # The TUI alone: an ad hoc session on a `pinscope serve` in another process.
            env["PINSCOPE_PRIVATE_KEY"] = server.key
            argv = [BIN, "--host", server.url, "--tracker-id", tracker or server.tracker]
        self.started = time.perf_counter()
        pid, fd = pty.fork()
        if pid == 0:
            # The child: size the terminal before pinscope looks at it.
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
            os.execve(BIN, argv, env)
        self.pid, self.fd = pid, fd
        self.raw = b""
        self.status = None

    def text(self):
        return ANSI.sub(b"", self.raw).decode("utf-8", "replace")

    def pump(self, timeout):
        """Reads what is there, waiting at most `timeout` seconds for something."""
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        try:
            chunk = os.read(self.fd, 1 << 16)
        except OSError:
            return False
        self.raw += chunk
        return bool(chunk)

    def wait_for(self, needle, timeout=10.0, since=0):
        """Waits until the output after byte `since` shows `needle` (or any of a tuple of
        needles); returns the time. Blanks are not compared: the terminal is told to move
        over unchanged blank cells rather than to write them."""
        deadline = time.perf_counter() + timeout
        needles = needle if isinstance(needle, tuple) else (needle,)
        needles = [n.replace(" ", "") for n in needles]
        while True:
            seen = ANSI.sub(b"", self.raw[since:]).decode("utf-8", "replace").replace(" ", "")
            if any(n in seen for n in needles):
                return time.perf_counter()
            left = deadline - time.perf_counter()
            if left <= 0:
                raise RuntimeError(f"timed out waiting for {needle!r}; output:\n{self.text()[-2000:]}")
            self.pump(min(left, 0.05))

    def full_frame(self):
        """Makes pinscope draw every cell again (a resize clears the screen), so that the
        output holds the whole screen and not only what changed. Returns the offset
        where that frame starts."""
        mark = len(self.raw)
        self.cols = COLS + 1 if getattr(self, "cols", COLS) == COLS else COLS
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, self.cols, 0, 0))
        os.kill(self.pid, signal.SIGWINCH)
        return mark

    def send(self, keys):
        os.write(self.fd, keys.encode())

    def drain(self, seconds):
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            self.pump(max(0.0, min(0.05, end - time.perf_counter())))

    def switches(self):
        """{thread: voluntary + involuntary context switches} for every thread."""
        out = {}
        base = f"/proc/{self.pid}/task"
        for tid in os.listdir(base):
            try:
                with open(f"{base}/{tid}/comm") as f:
                    name = f.read().strip()
                with open(f"{base}/{tid}/status") as f:
                    fields = dict(
                        line.split(":", 1) for line in f.read().splitlines() if ":" in line
                    )
            except FileNotFoundError:
                continue
            n = int(fields["voluntary_ctxt_switches"]) + int(fields["nonvoluntary_ctxt_switches"])
            out[f"{tid} {name}"] = n
        return out

    def status_kb(self, field):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return 0

    def quit(self, timeout=5.0):
        self.send("q")
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            self.pump(0.05)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.status = os.waitstatus_to_exitcode(status)
                os.close(self.fd)
                return self.status
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.fd)
        raise RuntimeError("pinscope did not quit on q")


class Server:
    """`pinscope serve` with the demo's data (or `data`), in a process of its own."""

    tracker = "1234-5678"
    key = "bench-key-0123456789abcdef"

    def __init__(self, data=None):
        data = data or os.path.join(ROOT, "assets", "demo.ndjson")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--addr", "127.0.0.1:0", "--tracker", f"{self.tracker}:{self.key}", "--load", data],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = self.proc.stdout.readline()
        m = re.search(r"listening on (http://\S+)", line)
        if not m:
            self.stop()
            sys.exit(f"pinscope serve did not start: {line!r}")
        self.url = m.group(1)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def main():
    global BIN, COLS, ROWS
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="start-up runs (default 5)")
    ap.add_argument("--idle", type=float, default=10.0, help="idle seconds (default 10)")
    ap.add_argument("--no-build", action="store_true", help="use target/release/pinscope as it is")
    ap.add_argument("--bin", help="measure this binary instead (implies --no-build)")
    ap.add_argument("--size", default="120x40", help="pty COLSxROWS (default 120x40)")
    ap.add_argument("--server", action="store_true", help="the TUI against `pinscope serve` in another process, not the demo")
    ap.add_argument("--mirror", type=int, metavar="N", help="the TUI on a synced mirror of a generated tracker of N customizations")
    args = ap.parse_args()
    COLS, ROWS = (int(x) for x in args.size.split("x"))
    if args.bin:
        BIN = os.path.abspath(args.bin)
        args.no_build = True

    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
        if args.mirror:
            subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "gen_tracker"], cwd=ROOT, check=True)
    if args.mirror:
        return measure_mirror(args)
    if not os.path.exists(BIN):
        sys.exit(f"{BIN} is missing; build it with cargo build --release")

    server = Server() if args.server else None
    try:
        return measure(args, server)
    finally:
        if server is not None:
            server.stop()


def measure_mirror(args):
    """Start-up, End, a filter change, select-all and peak RSS on a synced mirror."""
    n = args.mirror
    gen = os.path.join(ROOT, "target", "release", "examples", "gen_tracker")
    with tempfile.TemporaryDirectory() as work:
        tracker = os.path.join(work, "tracker.ndjson")
        with open(tracker, "wb") as f:
            subprocess.run([gen, str(n), "1"], stdout=f, check=True)
        server = Server(tracker)
        try:
            data_dir = os.path.join(work, "data")
            env = dict(os.environ)
            env.update({
                "PINSCOPE_DATA_DIR": data_dir,
                "PINSCOPE_CONFIG": os.path.join(work, "no-config.toml"),
                "PINSCOPE_PRIVATE_KEY": server.key,
            })
            subprocess.run([BIN, "--host", server.url, "--tracker-id", server.tracker, "sync"],
                           env=env, check=True, stderr=subprocess.DEVNULL)
            total = f"{n} customizations"
            startups = []
            for _ in range(args.runs):
                d = Demo(data_dir, server)
                seen = d.wait_for(total, timeout=30)
                startups.append((seen - d.started) * 1000)
                if d.quit() != 0:
                    sys.exit("exit status not 0 after q")
            d = Demo(data_dir, server)
            d.wait_for(total, timeout=30)
            d.drain(0.5)
            rss_start = d.status_kb("VmRSS")
            # End: the real last row (the oldest: created_at of row 0 of the generator).
            mark = len(d.raw)
            t0 = time.perf_counter()
            d.send("G")
            d.wait_for("2025-01-01", since=mark)
            end_ms = (time.perf_counter() - t0) * 1000
            # A filter change: the first target type (item) in the filter panel, which
            # applies as it is toggled.
            d.send("f")
            d.drain(0.3)
            d.send("\t\t")
            d.drain(0.3)
            mark = len(d.raw)
            t0 = time.perf_counter()
            d.send(" ")
            d.wait_for("type=item", since=mark)
            # The count comes back with the filtered rows (it is gone while they load).
            d.wait_for("customizations", since=mark)
            filter_ms = (time.perf_counter() - t0) * 1000
            d.send("\r")
            d.drain(0.3)
            d.send("c")
            d.wait_for(total, since=d.full_frame())
            mark = len(d.raw)
            t0 = time.perf_counter()
            d.send("*")
            # Every row on screen gets its mark when the ids are in (the status bar's count
            # is redrawn only where its cells changed, so it is not searched for).
            d.wait_for("●", since=mark)
            select_ms = (time.perf_counter() - t0) * 1000
            d.send("\x1b")
            d.drain(0.3)
            # A search keystroke: each query typed but its last key, then the last key to
            # the frame with its hits. While a search runs the count ("N found") is not
            # shown, so its coming back is the frame with the new hits.
            d.send("/")
            d.drain(0.3)
            search_ms = []
            for q in SEARCHES:
                d.send("\x15")  # Ctrl-U: an empty field
                d.drain(0.2)
                for ch in q[:-1]:
                    d.send(ch)
                    d.drain(0.05)
                d.drain(0.3)
                mark = len(d.raw)
                t0 = time.perf_counter()
                d.send(q[-1])
                d.wait_for("found", since=mark)
                search_ms.append((q, (time.perf_counter() - t0) * 1000))
            d.send("\x1b")
            d.drain(0.3)
            hwm = d.status_kb("VmHWM")
            status = d.quit()
        finally:
            server.stop()
    print("pinscope on a synced mirror of %d customizations in a %dx%d pty (%s)" % (n, COLS, ROWS, BIN))
    print()
    print("start-up to the first frame with data, %d runs:" % len(startups))
    print("  " + "  ".join("%.1f ms" % s for s in startups))
    print("  median %.1f ms, best %.1f ms   (target <= 30 ms)" % (statistics.median(startups), min(startups)))
    print("End to the last row on screen: %.1f ms" % end_ms)
    print("a filter change on screen (Enter in the panel to the new rows): %.1f ms   (target <= 20 ms)" % filter_ms)
    print("* to every row selected on screen: %.1f ms   (target <= 50 ms)" % select_ms)
    print("a search keystroke to the frame with its hits (target <= 10 ms):")
    for q, ms in search_ms:
        print("  %-16r %.1f ms" % (q, ms))
    print("RSS after start-up: %.1f MB" % (rss_start / 1024))
    print("peak RSS (VmHWM) after End, a filter, select-all and the searches: %.1f MB   (target <= 25 MB)" % (hwm / 1024))
    print("exit status after q: %d" % status)
    return 0 if status == 0 else 1


def measure(args, server):
    with tempfile.TemporaryDirectory() as data_dir:
        startups = []
        for _ in range(args.runs):
            d = Demo(data_dir, server)
            # From the list's first page, or (the demo syncs its mirror on start) the mirror.
            seen = d.wait_for(("of 340 loaded", "340 customizations"))
            startups.append((seen - d.started) * 1000)
            status = d.quit()
            if status != 0:
                sys.exit(f"exit status {status} after q")

        # One long run: idle, then browse, then peak memory.
        d = Demo(data_dir, server)
        d.wait_for(("of 340 loaded", "340 customizations"))
        d.drain(1.0)  # let start-up settle
        before = d.switches()
        rss_start = d.status_kb("VmRSS")
        d.drain(args.idle)
        after = d.switches()
        wakeups = {t: after.get(t, 0) - n for t, n in before.items()}
        new_threads = sorted(set(after) - set(before))

        for _ in range(6):  # to the end: every page loaded
            d.send("G")
            d.drain(0.2)
        d.wait_for("340 customizations", since=d.full_frame())
        d.send("\r")
        d.drain(0.3)
        d.wait_for("Pins (", since=d.full_frame())
        d.send("\x1b")
        d.drain(0.3)
        d.send("/")
        for ch in "fender":
            d.send(ch)
            d.drain(0.05)
        # With a mirror `/` searches the whole tracker; without one it narrows the rows.
        d.wait_for(("found, best first", "shown · 340 of 340 loaded"), since=d.full_frame())
        d.send("\x1b")
        d.drain(0.3)
        hwm = d.status_kb("VmHWM")
        status = d.quit()

    what = "pinscope against pinscope serve" if server else "pinscope demo"
    print("%s in a %dx%d pty (%s)" % (what, COLS, ROWS, BIN))
    print()
    print("start-up to the first frame with demo data, %d runs:" % len(startups))
    print("  " + "  ".join("%.1f ms" % s for s in startups))
    print("  median %.1f ms, best %.1f ms   (target <= 50 ms)" % (statistics.median(startups), min(startups)))
    print()
    total = sum(wakeups.values())
    print("wake-ups during %.0f s idle: %d   (target 0)" % (args.idle, total))
    for t, n in sorted(wakeups.items()):
        print("  thread %-28s %d" % (t, n))
    if new_threads:
        print("  threads started while idle: %s" % ", ".join(new_threads))
    print()
    print("RSS after start-up: %.1f MB" % (rss_start / 1024))
    print("peak RSS (VmHWM) after browsing every page, a detail and a search: %.1f MB   (target <= %d MB)" % (hwm / 1024, 12 if server else 14))
    print()
    print("exit status after q: %d" % status)
    return 0 if status == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
