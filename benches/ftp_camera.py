#!/usr/bin/env python3
"""A camera sending frames over FTP, as a Wi-Fi transmitter does: one session,
one STOR per frame, at 1 frame/s with a burst of 10 frames back to back every
30 s. Used by `cargo bench --bench ftp_live`; prints one line per frame:
`<file name> <ms the transfer took>`.

  ftp_camera.py HOST PORT USER PASSWORD FILE...
"""
import ftplib
import os
import sys
import time

BURST_EVERY = 30  # single frames between two bursts
BURST = 10


def main():
    host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    files = sys.argv[5:]
    ftp = ftplib.FTP()
    ftp.connect(host, port, timeout=60)
    ftp.login(user, password)
    ftp.set_pasv(True)
    i = 0
    next_at = time.monotonic()
    singles = 0
    while i < len(files):
        now = time.monotonic()
        if now < next_at:
            time.sleep(next_at - now)
        n = BURST if singles == BURST_EVERY else 1
        singles = 0 if n == BURST else singles + 1
        for path in files[i:i + n]:
            started = time.monotonic()
            with open(path, "rb") as f:
                ftp.storbinary("STOR " + os.path.basename(path), f, blocksize=256 * 1024)
            print(os.path.basename(path), round((time.monotonic() - started) * 1000), flush=True)
        i += n
        next_at += 1.0
    ftp.quit()


if __name__ == "__main__":
    main()
