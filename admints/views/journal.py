"""Menu area « journal » (filled by its issue)."""


def register(admin) -> None:
    return None
