"""A tiny scripted IMAP server that records AUTHENTICATE XOAUTH2 exchanges (Dovecot here has no OAuth)."""

import base64
import socket
import threading


class XOAuth2Recorder:
    """Accepts one connection, answers CAPABILITY, records the XOAUTH2 initial response, then accepts LOGOUT."""

    def __init__(self, accept: bool = True):
        self.accept = accept
        self.sasl: list[bytes] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn, conn.makefile("rb") as rfile:
            send = lambda line: conn.sendall(line + b"\r\n")  # noqa: E731
            send(b"* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2 IDLE] fake ready")
            for line in rfile:
                tag, _, rest = line.strip().partition(b" ")
                command = rest.split(b" ")[0].upper()
                if command == b"CAPABILITY":
                    send(b"* CAPABILITY IMAP4rev1 AUTH=XOAUTH2 IDLE")
                    send(tag + b" OK done")
                elif command == b"AUTHENTICATE":
                    send(b"+ ")
                    self.sasl.append(base64.b64decode(rfile.readline().strip()))
                    send(tag + (b" OK authenticated" if self.accept else b" NO [AUTHENTICATIONFAILED] invalid token"))
                elif command == b"LOGOUT":
                    send(b"* BYE bye")
                    send(tag + b" OK bye")
                    return
                else:
                    send(tag + b" BAD unexpected in this fake")

    def close(self) -> None:
        self.sock.close()
