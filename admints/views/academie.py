"""Menu area « academie » (filled by its issue)."""


def register(admin) -> None:
    return None
