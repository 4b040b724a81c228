"""The write tools (two-step, see confirm.py); none yet."""

from collections.abc import Callable
from typing import Any

WRITE_TOOLS: list[Callable[..., Any]] = []
