"""A password hasher that counts how many hashes it computes: the work a sign-in attempt costs,
measured without a clock."""

from django.contrib.auth.hashers import MD5PasswordHasher

computed: list[str] = []


class CountingHasher(MD5PasswordHasher):
    # The tests' own hasher (tests/settings.py), so the users' stored hashes still verify; its
    # verify() hashes through encode(), as a real check does.
    def encode(self, password, salt):
        computed.append(salt)
        return super().encode(password, salt)
