"""Menu area « statistiques » (filled by its issue)."""


def register(admin) -> None:
    return None
