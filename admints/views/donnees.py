"""Menu area « donnees » (filled by its issue)."""


def register(admin) -> None:
    return None
