"""Addresses parse as the C++ library parses them."""

import unittest

from libipc import InvalidAddress, parse_address


class Addresses(unittest.TestCase):
    def test_valid(self) -> None:
        cases = {
            "echo": "/tmp/echo.sock",
            "local:echo": "/tmp/echo.sock",
            "/run/app.sock": "/run/app.sock",
            "tcp://127.0.0.1:7000": "tcp://127.0.0.1:7000",
            "tcp://localhost": "tcp://127.0.0.1:6969",
            "tcp://:80": "tcp://127.0.0.1:80",
            "tcp://[::1]:9": "tcp://[::1]:9",
            "tcp://build-server.example:7000": "tcp://build-server.example:7000",
        }
        for text, expected in cases.items():
            with self.subTest(text):
                self.assertEqual(str(parse_address(text)), expected)

    def test_invalid_says_why(self) -> None:
        cases = {
            "": "empty",
            "a/b": "must not contain '/'",
            "tcp://1.2.3.4:70000": "port must be 0-65535",
            "tcp://999.1.1.1": "neither an IP address nor a host name",
            "tcp://build server": "neither an IP address nor a host name",
            "tcp://[::1": "missing ']'",
            "http://x": "unknown scheme",
            "/" + "x" * 120: "longer than 107 bytes",
        }
        for text, says in cases.items():
            with self.subTest(text):
                with self.assertRaises(InvalidAddress) as refused:
                    parse_address(text)
                self.assertIn(says, str(refused.exception))


if __name__ == "__main__":
    unittest.main()
