"""Domain exceptions. Their message is French and shown to the user as it is."""


class DomainError(Exception):
    """A rule refused the operation; nothing was changed."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else "Opération refusée."


class ImportRefused(DomainError):
    """A SIECLE file was refused (malformed, hostile, wrong establishment, wrong kind)."""
