"""Domain exceptions. Their message is French and shown to the user as it is."""


class DomainError(Exception):
    """A rule refused the operation; nothing was changed. `field`: the form field at fault,
    when there is one (the screen ties the message to it, RGAA 11.10)."""

    def __init__(self, *args, field: str | None = None):
        super().__init__(*args)
        self.field = field

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else "Opération refusée."


class ImportRefused(DomainError):
    """A SIECLE file was refused (malformed, hostile, wrong establishment, wrong kind)."""
