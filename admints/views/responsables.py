"""Menu area « responsables » (filled by its issue)."""


def register(admin) -> None:
    return None
