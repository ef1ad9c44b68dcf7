"""A small name -> factory registry, the single source of truth for every list in FusionLab."""

from typing import Callable, Dict, Generic, List, TypeVar

from .errors import UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to factories; filled by the ``register`` decorator (after timm's registry).

    Args:
        kind: what the registry holds, used in error messages ("fusion method", "task", ...).
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: Dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator that records ``obj`` under ``name``; a duplicate name is a programming error."""

        def decorator(obj: T) -> T:
            if name in self._entries:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._entries[name] = obj
            return obj

        return decorator

    def names(self) -> List[str]:
        """Registered names in registration order."""
        return list(self._entries)

    def get(self, name: str) -> T:
        """The entry called ``name``; an unknown name raises an error listing the valid ones."""
        try:
            return self._entries[name]
        except KeyError:
            valid = ", ".join(self._entries) or "(none registered)"
            raise UnknownNameError(f"unknown {self.kind} {name!r}; choose one of: {valid}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._entries
