"""Menu area « parametrage » (filled by its issue)."""


def register(admin) -> None:
    return None
