"""Passwords of the accounts: the policy a new password must meet, hashing, one-time passwords.

Hashes with Argon2 (argon2-cffi); judges guessability with zxcvbn (common passwords, repeated
characters, keyboard runs, dates, the user's own name). Knows nothing of HTTP.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from registry.service import RegistryError

MIN_LENGTH = 10
MAX_LENGTH = 200
# zxcvbn's score 2: more than a million guesses; "password1234", "1q2w3e4r5t" are below it
MIN_SCORE = 2
_hasher = PasswordHasher()


def check(password: str, *, username: str) -> None:
    """Refuses a password an attacker would guess early, with a Chinese reason."""
    if len(password) < MIN_LENGTH:
        raise RegistryError(f"密码至少 {MIN_LENGTH} 位。")
    if len(password) > MAX_LENGTH:
        raise RegistryError(f"密码最多 {MAX_LENGTH} 位。")
    if username and username.casefold() in password.casefold():
        raise RegistryError("密码不能包含用户名。")
    if zxcvbn(password, user_inputs=[username])["score"] < MIN_SCORE:
        raise RegistryError(
            "密码太容易被猜到（常见密码、重复或连续的字符、键盘上相邻的键、日期等），"
            "请换一个更长、更没有规律的密码，例如几个不相关的词加数字。"
        )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    """``None``: no such account; the same work is done, so timing tells nothing."""
    if password_hash is None:
        _hasher.hash(password)
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def one_time() -> str:
    """A password the office hands over once (the user sets their own at the next login)."""
    return secrets.token_urlsafe(12)
