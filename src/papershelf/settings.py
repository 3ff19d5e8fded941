"""User settings that outlive a run (the TUI's theme), as a small JSON file.

The file lives in the platform's user config directory, or in ``$PAPERSHELF_CONFIG_DIR``
when set (tests point it at a temporary directory). Reading never fails: a missing or
damaged file gives the defaults. Writing is atomic (temporary file, fsync, rename).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import orjson

from papershelf.paths import user_dir

ENV_CONFIG_DIR = "PAPERSHELF_CONFIG_DIR"
SETTINGS_FILE = "settings.json"


def config_dir() -> Path | None:
    """``$PAPERSHELF_CONFIG_DIR``, else the platform's user config directory (``None``
    without a home directory)."""
    env = os.environ.get(ENV_CONFIG_DIR)
    if env:
        try:
            return Path(env).expanduser()
        except RuntimeError:  # ~nosuchuser, or no home directory
            return None
    return user_dir("config")


def load() -> dict[str, Any]:
    """The saved settings (empty when there are none or the file is unreadable)."""
    directory = config_dir()
    if directory is None:
        return {}
    try:
        data = orjson.loads((directory / SETTINGS_FILE).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def save(**changes: Any) -> None:
    """Merge ``changes`` into the saved settings. Failing to save is not an error:
    settings are a convenience, so an unwritable config directory is ignored."""
    data = load()
    data.update(changes)
    directory = config_dir()
    if directory is None:
        return
    tmp = directory / f".{SETTINGS_FILE}.{os.getpid()}.tmp"
    with contextlib.suppress(OSError):
        directory.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as handle:
            handle.write(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, directory / SETTINGS_FILE)
