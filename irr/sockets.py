"""Socket helpers the whois and HTTP servers share to drop clients that do not read (Linux)."""
from __future__ import annotations

import fcntl
import socket
import struct
import termios


def unsent_bytes(sock) -> int:
    """Bytes the kernel holds that the peer has not acknowledged (sent or not): TIOCOUTQ."""
    try:
        return struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0]
    except (OSError, ValueError, AttributeError):
        return 0


def reset_on_close(sock) -> None:
    """Make the next close() a reset: what the peer has not read is discarded at once, instead of
    a FIN queued behind it that a client which never reads would never see."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except (OSError, AttributeError):
        pass
