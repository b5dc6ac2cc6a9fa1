"""Menu area « eleves » (filled by its issue)."""


def register(admin) -> None:
    return None
