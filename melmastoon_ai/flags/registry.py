"""The flags that exist: each app registers its own in `AppConfig.ready()` with a default and a
meaning, so a row for an unknown key (a typo that would switch nothing) is refused, and the admin
page offers exactly these keys."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Flag:
    key: str
    default: bool
    description: str


_FLAGS: dict[str, Flag] = {}


def register_flag(key: str, *, default: bool, description: str) -> Flag:
    flag = Flag(key=key, default=default, description=description)
    existing = _FLAGS.setdefault(key, flag)
    if existing != flag:
        raise ValueError(f"feature flag {key!r} is registered twice, differently")
    return flag


def registered_flag(key: str) -> Flag:
    try:
        return _FLAGS[key]
    except KeyError:
        raise KeyError(f"no feature flag {key!r} is registered (known: {', '.join(sorted(_FLAGS))})") from None


def registered_flags() -> list[Flag]:
    return sorted(_FLAGS.values(), key=lambda flag: flag.key)
