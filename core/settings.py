"""All configuration, read from environment variables in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PASSWORD_FILE = "neo4j-password"
# A source checkout (pyproject.toml beside the packages), not an installed wheel in site-packages.
IN_CHECKOUT = (PROJECT_ROOT / "pyproject.toml").is_file()


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _default_home() -> Path:
    """`.data/` in a checkout; in an installation the user's data folder (never site-packages)."""
    if IN_CHECKOUT:
        return PROJECT_ROOT / ".data"
    return Path(_env("XDG_DATA_HOME", str(Path.home() / ".local" / "share"))) / "rightsgraph"


def shipped_dir(packaged: Path, checkout: str) -> Path:
    """In a source checkout, a folder of the tree (`checkout`, relative to the project); in an
    installation, its copy inside a package (`packaged`, made by setup.py's build step)."""
    return PROJECT_ROOT / checkout if IN_CHECKOUT else packaged


@dataclass(frozen=True)
class Settings:
    """Runtime settings; `external` is true when NEO4J_URI points at a server we do not run."""

    home: Path = field(default_factory=lambda: Path(_env("RIGHTSGRAPH_HOME") or _default_home()))
    neo4j_port: int = field(default_factory=lambda: int(_env("RIGHTSGRAPH_NEO4J_PORT", "7687")))
    neo4j_uri_env: str | None = field(default_factory=lambda: _env("NEO4J_URI"))
    neo4j_user: str = field(default_factory=lambda: _env("NEO4J_USER", "neo4j") or "neo4j")
    # NEO4J_PASSWORD; without it, the local server's generated password (`bolt_password`)
    neo4j_password: str | None = field(default_factory=lambda: _env("NEO4J_PASSWORD"))
    neo4j_database: str = field(default_factory=lambda: _env("NEO4J_DATABASE", "neo4j") or "neo4j")

    @property
    def external(self) -> bool:
        return self.neo4j_uri_env is not None

    @property
    def neo4j_uri(self) -> str:
        return self.neo4j_uri_env or f"bolt://127.0.0.1:{self.neo4j_port}"

    @property
    def password_file(self) -> Path:
        """The local Neo4j's generated password (mode 0600), written by its first start."""
        return self.home / PASSWORD_FILE

    @property
    def bolt_password(self) -> str | None:
        """The password to send: NEO4J_PASSWORD, else (local server) the generated one, if any."""
        if self.neo4j_password or self.external:
            return self.neo4j_password
        try:
            return self.password_file.read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    @property
    def neo4j_dir(self) -> Path:
        """Folder of the local Neo4j: data, logs and pid file."""
        return self.home / f"neo4j-{self.neo4j_port}"


def get_settings() -> Settings:
    return Settings()
