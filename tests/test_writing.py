"""The writing operations called directly, not through a view (R-ACC-7, R-ACC-8)."""

import pytest

from admints import writing
from admints.errors import DomainError


@pytest.mark.parametrize("subject, body, message", [
    ("", "texte", "L'objet du message est obligatoire"),
    ("  Objet ", "   ", "Le texte du message est obligatoire"),
    ("a\nBcc: x@y.fr", "t", "une ligne"),
    ("x" * (writing.SUBJECT_MAX + 1), "t", "200 caractères"),
    ("Objet", "x" * (writing.BODY_MAX + 1), "20 000 caractères"),
])
def test_r_acc_7_message_limits_checked_once(subject, body, message):
    with pytest.raises(DomainError, match=message):
        writing.check_message(subject, body)


def test_r_acc_7_message_stripped_at_the_limits():
    subject, body = writing.check_message(" " + "s" * writing.SUBJECT_MAX + " ",
                                          "b" * writing.BODY_MAX + "\n")
    assert len(subject) == writing.SUBJECT_MAX and len(body) == writing.BODY_MAX
