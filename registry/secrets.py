"""Channel secrets at rest: webhook URLs (their keys and tokens), signing secrets and e-mail
addresses are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, ``cryptography``) before they
reach the database.

The key comes from ``POLICYQA_SECRET_KEY`` (a Fernet key: ``policyqa secret-key``), else from
``DATA_DIR/secret.key``, made on first use with mode 0600. A copy of the database alone reveals
no secret; the database and the key together do (back the key up apart from the database).
Several keys may be given, newest first, separated by commas: old rows still decrypt, new ones
use the first (key rotation).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from registry.service import RegistryError


class SecretError(RegistryError):
    pass


class SecretBox:
    def __init__(self, keys: str) -> None:
        try:
            self._fernet = MultiFernet([Fernet(k.strip()) for k in keys.split(",") if k.strip()])
        except (ValueError, TypeError):
            raise SecretError(
                "POLICYQA_SECRET_KEY 不是有效的密钥（用 policyqa secret-key 生成）"
            ) from None

    @classmethod
    def from_settings(cls, key: str | None, data_dir: Path) -> SecretBox:
        if key:
            return cls(key)
        path = data_dir / "secret.key"
        if not path.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_bytes(Fernet.generate_key())
        return cls(path.read_text("ascii"))

    def seal(self, value: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(value, ensure_ascii=False).encode()).decode()

    def open(self, token: str) -> dict[str, Any]:
        try:
            return json.loads(self._fernet.decrypt(token.encode()))  # type: ignore[no-any-return]
        except InvalidToken:
            raise SecretError(
                "无法解密渠道配置：密钥与写入时不同（检查 POLICYQA_SECRET_KEY 或 secret.key）"
            ) from None


def new_key() -> str:
    return Fernet.generate_key().decode()
