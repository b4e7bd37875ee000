"""Local processes that a ``with`` block starts and stops."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Any, TypeVar

_Self = TypeVar("_Self", bound="StartedInWithBlock")


class StartedInWithBlock(ABC):
    """Entering a ``with`` block starts the process (unless started); leaving stops it."""

    @abstractmethod
    def start(self: _Self) -> _Self:
        """Start the process; return self."""

    @abstractmethod
    def stop(self, timeout: float = 5.0) -> Any:
        """Stop the process."""

    @abstractmethod
    def _is_started(self) -> bool:
        """True once started (and neither stopped nor detached since)."""

    def __enter__(self: _Self) -> _Self:
        if not self._is_started():
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
