"""Menu area « services » (filled by its issue)."""


def register(admin) -> None:
    return None
