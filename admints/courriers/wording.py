"""The predefined French texts of the notification letters (guide §3.2.1 and §3.2.2), as data.

Owns the editable texts (`DEFAULTS`: the establishment header and the four bodies, R-PAR-4), the
fields each body must keep (`REQUIRED`), and the fixed parts no establishment can edit (footer,
CNIL mention). Stored overrides live in the settings key `courrier.<key>`.

Text format, read by `admints.courriers.letters`: one line of the text is one paragraph, wrapped to
the width of its column; an empty line is a vertical space; a line written `**…**` is printed in
bold (decided on the text before substitution: a value can never turn bold on). A line whose fields
all come out empty (« Fax : ${fax} » without fax, « ${mention_ent} » outside a Mixte letter) is left
out. Fields are the `${name}` of `admints.courriers.templating.PLACEHOLDERS`.
"""

from __future__ import annotations

KEYS = ("entete", "responsable_nouveau", "responsable_continuite", "eleve_nouveau",
        "eleve_continuite")

LABELS = {
    "entete": "En-tête (tous les courriers)",
    "responsable_nouveau": "Corps du courrier responsable – nouveau compte",
    "responsable_continuite": "Corps du courrier responsable – compte utilisé ou continuité",
    "eleve_nouveau": "Corps du courrier élève – nouveau compte",
    "eleve_continuite": "Corps du courrier élève – compte utilisé ou continuité",
}

# Left column of the first page: the establishment block (guide: « l'entête est identique pour
# tous »). The date line and the recipient block are laid out by the letter writer.
ENTETE = """\
**Académie de ${academie}**
**${etablissement}**
${adresse_etablissement}
${code_postal} ${ville}
Tél : ${telephone}
Fax : ${fax}
Courriel : ${courriel}"""

RESPONSABLE_NOUVEAU = """\
**Objet : mise à disposition de services en ligne pour suivre la scolarité de votre enfant**

Madame, Monsieur,

L'établissement ${etablissement} met à la disposition des responsables de ses élèves un \
ensemble de services¹ pour suivre la scolarité de ${eleve_prenom} ${eleve_nom}, accessibles à \
l'adresse internet suivante :
**${url}**
${mention_ent}

Vous trouverez ci-dessous l'identifiant et le mot de passe de votre compte internet pour \
accéder à ces services :
**Identifiant : ${identifiant}**
**Mot de passe * : ${mot_de_passe}**
* Mot de passe provisoire, à modifier lors de la première connexion.

Vous disposez d'un délai de 3 mois pour activer votre compte. Au-delà, votre compte sera \
supprimé et vous ne pourrez plus accéder aux services. Un nouveau compte pourra toutefois être \
créé à votre demande.

**Première connexion**
1. Connectez-vous à l'adresse ci-dessus avec votre identifiant et votre mot de passe provisoire, \
puis choisissez votre mot de passe personnel.
2. Indiquez votre adresse de courriel : un message vous est envoyé ; cliquez sur le lien qu'il \
contient pour valider cette adresse et activer votre compte."""

RESPONSABLE_CONTINUITE = """\
**Objet : mise à disposition de services en ligne pour suivre la scolarité de votre enfant**

Madame, Monsieur,

Vous étiez titulaire d'un compte internet de suivi de la scolarité de ${eleve_prenom} \
${eleve_nom}.
**Pour rappel, votre identifiant est : ${identifiant}**

Je vous informe que vous pouvez continuer d'utiliser ce même compte cette année, avec le mot \
de passe que vous avez choisi, pour accéder aux services en ligne¹ de l'établissement \
${etablissement}.

Pour cela, il suffit de vous connecter à l'adresse :
**${url}**
${mention_ent}

Si vous avez oublié votre mot de passe, utilisez le lien « Mot de passe oublié » de la page de \
connexion."""

ELEVE_NOUVEAU = """\
**Objet : mise à disposition de services en ligne**

L'établissement ${etablissement} met à la disposition des élèves un ensemble de services¹, \
accessibles à l'adresse internet suivante :
**${url}**
${mention_ent}

Vous trouverez ci-dessous l'identifiant et le mot de passe de votre compte internet pour \
accéder à ces services :
**Identifiant : ${identifiant}**
**Mot de passe * : ${mot_de_passe}**
* Mot de passe provisoire, à modifier lors de la première connexion.

Vous disposez d'un délai de 3 mois pour activer votre compte. Au-delà, votre compte sera \
supprimé et vous ne pourrez plus accéder aux services. Un nouveau compte pourra toutefois être \
créé à votre demande."""

ELEVE_CONTINUITE = """\
**Objet : mise à disposition de services en ligne**

Vous étiez titulaire d'un compte internet de suivi de votre scolarité.
**Pour rappel, votre identifiant est : ${identifiant}**

Je vous informe que vous pouvez continuer d'utiliser ce même compte cette année, sous réserve \
de l'accord de vos responsables légaux.

Pour cela, il suffit de vous connecter à l'adresse :
**${url}**
${mention_ent}"""

DEFAULTS: dict[str, str] = {
    "entete": ENTETE,
    "responsable_nouveau": RESPONSABLE_NOUVEAU,
    "responsable_continuite": RESPONSABLE_CONTINUITE,
    "eleve_nouveau": ELEVE_NOUVEAU,
    "eleve_continuite": ELEVE_CONTINUITE,
}

# Fields a saved text must keep (R-PAR-4: a new-account body without the identifier or the
# temporary password is refused). Continuity bodies never receive a password.
REQUIRED: dict[str, tuple[str, ...]] = {
    "entete": (),
    "responsable_nouveau": ("identifiant", "mot_de_passe"),
    "responsable_continuite": ("identifiant",),
    "eleve_nouveau": ("identifiant", "mot_de_passe"),
    "eleve_continuite": ("identifiant",),
}

# Mixte ENT/Téléservices (R-PAR-3): the address given is Scolarité services, and the letter says
# the services are also reachable from the ENT. `{nom}` is the ENT's name, when known.
MENTION_ENT_MIXTE = ("Ces services sont également accessibles depuis l'espace numérique de "
                     "travail (ENT) de l'établissement{nom}.")

# Fixed parts (not editable). `${chef}` and `${ville}`/`${date}` are filled per establishment.
DATE_LINE = "${ville}, le ${date}"
PIED = (
    "Les règles de bon usage de ces services sont précisées dans la charte en vigueur dans "
    "l'établissement.",
    "",
    "Avec mes encouragements.",
)
# The head's title from the Fiche établissement (« Le chef d'établissement » when none).
SIGNATURE = ("${chef_titre}", "${chef}")
MENTION_CNIL = (
    "¹ Les services en ligne ont fait l'objet de déclarations auprès de la commission nationale "
    "de l'informatique et des libertés en application de la loi n°78-17 du 6 janvier 1978 "
    "relative à l'informatique, aux fichiers et aux libertés."
)

CIVILITES = {"M.": "Monsieur", "M": "Monsieur", "MR": "Monsieur", "MME": "Madame",
             "MME.": "Madame", "MLLE": "Mademoiselle"}


def body_key(kind: str, continuite: bool) -> str:
    """The text key of a letter: `<kind>_nouveau` or `<kind>_continuite`."""
    if kind not in ("eleve", "responsable"):
        raise ValueError(f"unknown letter kind {kind!r}")
    return f"{kind}_{'continuite' if continuite else 'nouveau'}"


def names_list(names) -> str:
    """« A », « A et B », « A, B et C »: the children a shared guardian account is for."""
    names = [n for n in names if n]
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} et {names[-1]}"


def civilite_label(code: str | None) -> str:
    """« Madame » / « Monsieur » from the SIECLE code; anything else as given."""
    if not code:
        return ""
    return CIVILITES.get(code.strip().upper(), code.strip())
