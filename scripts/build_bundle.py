"""Build the frozen app for this OS and measure it (called by ./scripts/build).

Steps: icons from the SVG (scripts/make_icons.py), PyInstaller with installers/hybridcoder.spec, the
frozen ``--self-test``, then the figures the release targets are judged by:

- size on disk of the one-folder bundle (target <= 200 MB on Linux, aim 150),
- size packed as .tar.gz, the Linux download (target <= 80 MB, aim 60),
- time from process start to the first window on screen (target <= 2 s), median of N launches,
  measured by the app itself (``HYBRIDCODER_REPORT_FIRST_WINDOW=1``, see gui/self_check.py).

With ``--ci`` only the build, the self-test and the size limit run (no tar.gz, no timing).
Exit 1 when the build, the self-test or a limit fails.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
NAME = "HybridCoder"
LIMITS_MB = {"disk": 200, "packed": 80}
AIMS_MB = {"disk": 150, "packed": 60}
WINDOW_LIMIT_S = 2.0


def step(text: str) -> None:
    print(f"==> {text}", flush=True)


def run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, check=True, text=True, **kwargs)  # type: ignore[call-overload, no-any-return]


def bundle_dir() -> Path:
    return DIST / f"{NAME}.app" if sys.platform == "darwin" else DIST / NAME


def executable() -> Path:
    if sys.platform == "darwin":
        return bundle_dir() / "Contents" / "MacOS" / NAME
    if sys.platform == "win32":
        return bundle_dir() / "hybridcoder-cli.exe"
    return bundle_dir() / NAME


def add_linux_desktop_files(folder: Path) -> None:
    """The tar.gz carries its menu entry, icons and a per-user installer (installers/linux/install_user.sh)."""
    share = folder / "share"
    (share / "icons").mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "installers" / "linux" / "hybridcoder.desktop", share / "hybridcoder.desktop")
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        shutil.copy2(ROOT / "build" / "icons" / f"hybridcoder-{size}.png", share / "icons")
    shutil.copy2(ROOT / "installers" / "linux" / "install_user.sh", folder / "install.sh")


def disk_bytes(folder: Path) -> int:
    """Bytes the files take on disk (allocated blocks where the OS says, else their sizes)."""
    total = 0
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            info = path.stat()
            blocks = getattr(info, "st_blocks", None)
            total += blocks * 512 if blocks is not None else info.st_size
    return total


def pack(folder: Path) -> Path:
    machine = platform.machine().lower() or "unknown"
    archive = DIST / f"{NAME}-{sys.platform}-{machine}.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
        tar.add(folder, arcname=folder.name)
    return archive


def app_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["HYBRIDCODER_HOME"] = str(home)
    if sys.platform.startswith("linux") and not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def self_test(exe: Path, home: Path) -> bool:
    step(f"frozen self-test: {exe.relative_to(ROOT)} --self-test")
    env = app_env(home)
    env["QT_QPA_PLATFORM"] = "offscreen"
    done = subprocess.run([str(exe), "--self-test"], env=env, text=True, capture_output=True, timeout=180,
                          check=False)
    print(done.stdout.rstrip())
    if done.returncode != 0:
        print(done.stderr.rstrip()[-3000:])
    return done.returncode == 0


def time_to_window(exe: Path, home: Path, runs: int) -> list[float]:
    env = app_env(home)
    env["HYBRIDCODER_REPORT_FIRST_WINDOW"] = "1"
    times: list[float] = []
    for _ in range(runs):
        started = time.time()
        done = subprocess.run([str(exe)], env=env, text=True, capture_output=True, timeout=60, check=False)
        line = next((ln for ln in done.stdout.splitlines() if ln.startswith("first window shown after")), None)
        if line is None:
            print(f"   no window reported (exit {done.returncode}; {time.time() - started:.1f} s):\n"
                  f"{(done.stdout + done.stderr).strip()[-1500:]}")
            continue
        times.append(float(line.split()[4]))
    return times


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ci", action="store_true", help="build + self-test + size limit only")
    parser.add_argument("--runs", type=int, default=5, help="launches for the time-to-window median")
    args = parser.parse_args(argv)
    started = time.perf_counter()

    step("icons from resources/icons/hybridcoder.svg")
    run([sys.executable, str(ROOT / "scripts" / "make_icons.py"), str(ROOT / "build" / "icons")])
    step("PyInstaller one-folder bundle (installers/hybridcoder.spec)")
    run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "ERROR", "--distpath", str(DIST),
         "--workpath", str(ROOT / "build" / "pyinstaller"), str(ROOT / "installers" / "hybridcoder.spec")])
    build_s = time.perf_counter() - started
    folder = bundle_dir()
    if sys.platform.startswith("linux"):
        add_linux_desktop_files(folder)
    exe = executable()

    ok = True
    with tempfile.TemporaryDirectory(prefix="hc-bundle-") as home:
        ok = self_test(exe, Path(home)) and ok
        disk_mb = disk_bytes(folder) / 1e6
        files = sum(1 for p in folder.rglob("*") if p.is_file())
        results = [f"bundle          {folder.relative_to(ROOT)} ({files} files), built in {build_s:.0f} s",
                   f"size on disk    {disk_mb:.1f} MB (limit {LIMITS_MB['disk']}, aim {AIMS_MB['disk']})"]
        if disk_mb > LIMITS_MB["disk"] and sys.platform.startswith("linux"):
            ok = False
            results[-1] += "  OVER THE LIMIT"
        if not args.ci:
            step("packing")
            archive = pack(folder)
            packed_mb = archive.stat().st_size / 1e6
            results.append(f"packed          {packed_mb:.1f} MB as {archive.relative_to(ROOT)} "
                           f"(limit {LIMITS_MB['packed']}, aim {AIMS_MB['packed']})")
            if packed_mb > LIMITS_MB["packed"] and sys.platform.startswith("linux"):
                ok = False
                results[-1] += "  OVER THE LIMIT"
            step(f"time to first window, {args.runs} launches")
            times = time_to_window(exe, Path(home), args.runs)
            platform_name = app_env(Path(home)).get("QT_QPA_PLATFORM", "the desktop's display")
            if times:
                median = statistics.median(times)
                results.append(f"time to window  median {median:.2f} s, first launch {times[0]:.2f} s, all "
                               f"{', '.join(f'{t:.2f}' for t in times)} (limit {WINDOW_LIMIT_S} s; on {platform_name})")
                if median > WINDOW_LIMIT_S:
                    ok = False
                    results[-1] += "  OVER THE LIMIT"
            else:
                ok = False
                results.append("time to window  no window was reported")
    print()
    for line in results:
        print(line)
    print(f"verdict         {'OK' if ok else 'FAILED'} ({time.perf_counter() - started:.0f} s in all)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
