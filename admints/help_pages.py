"""The online help (guide §1.2, §1.4 NB: « une aide en ligne est disponible pour chaque écran
… en cliquant sur « Aide » »): one French page per screen, written from the user guide
(« Administration Téléservices » 17.1), and « Quoi de neuf », this version's changes.

`topic_for(endpoint)` names the help page of a screen (every screen has one; an unknown screen
gets the general page). The texts are plain paragraphs; the template writes them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    title: str
    guide: str  # the guide's section
    paragraphs: tuple[str, ...]


TOPICS = {
    "accueil": Topic("Accueil", "§1.3 et §1.4", (
        "Le module « Administration Téléservices » permet au chef d'établissement d'activer "
        "l'offre de services en ligne, d'ouvrir ou de fermer les téléservices, de les "
        "paramétrer, de gérer les comptes des responsables et des élèves et de suivre les "
        "statistiques.",
        "À la première connexion, le chef d'établissement active les téléservices ; il ouvre "
        "ensuite les services retenus, définit leurs paramètres (dates de publication des "
        "notes…), le message d'accueil, le lien de contact et les liens utiles.",
        "L'établissement notifie ensuite les comptes des responsables puis des élèves, édite "
        "les listes de classes, répond aux demandes d'assistance et renotifie les comptes non "
        "activés avant l'expiration du délai de 3 mois.",
        "La page d'accueil montre l'état ouvert ou fermé de chaque téléservice, en lecture "
        "seule : il se change dans « Gestion des services » › « Ouverture / fermeture ».")),
    "services": Topic("Ouverture / fermeture des téléservices", "§2.1", (
        "Tant que l'établissement n'a pas activé les téléservices, seul l'écran d'activation "
        "s'affiche. Une fois activés, chaque téléservice s'ouvre ou se ferme séparément, sauf "
        "les services obligatoires, qui restent toujours ouverts.",
        "L'état de chaque service est indiqué par une pastille « Ouvert » ou « Fermé » ; le "
        "bouton à côté dit ce qu'il fait (« Fermer le service », « Ouvrir le service »). "
        "L'ouverture ou la fermeture est immédiate pour les familles ; fermer un service "
        "conserve son paramétrage.",
        "Certains services demandent l'application SIECLE correspondante : « Consultation des "
        "notes » ne peut être ouvert que si l'établissement utilise le module « SIECLE Notes ».")),
    "notes": Topic("Configuration Notes", "§2.2", (
        "Ce menu n'est disponible que lorsque le téléservice Notes est ouvert.",
        "Deux modes de publication : « au fil de l'eau » (les évaluations sont visibles dès "
        "leur saisie, éventuellement après un délai) ou à des dates de publication définies "
        "par MEF et par division.",
        "Une date de publication peut être ajoutée ou supprimée ; les évaluations deviennent "
        "visibles des familles à partir de cette date.")),
    "paiement": Topic("Paiement en ligne des factures", "§2.3", (
        "L'agent comptable ou le chef d'établissement saisit le numéro de client TIPI de "
        "l'établissement, contrôlé dans le référentiel de l'académie, le montant minimum "
        "payable en ligne et l'adresse de contact.",
        "Une modification enregistrée est prise en compte le lendemain.")),
    "message": Topic("Message d'accueil", "§3.1", (
        "Le message d'accueil est affiché sur la page d'accueil de « Scolarité services » des "
        "élèves et des responsables. Sa longueur est limitée ; l'aperçu montre le message tel "
        "que les familles le verront.")),
    "courriers": Topic("ENT et courrier de notification", "§3.2", (
        "Si l'établissement utilise un ENT dont les comptes sont gérés ici, indiquez son "
        "adresse : elle figure dans les courriers de notification et sur « Scolarité "
        "services ».",
        "Les courriers de notification (nouveaux comptes, continuité d'accès, responsables et "
        "élèves) peuvent être personnalisés ; « Réinitialiser » revient au texte standard. "
        "Les champs entre ${…} sont remplacés par les données de chaque compte.",
        "L'en-tête du courrier reprend les coordonnées de l'établissement.")),
    "contact": Topic("Lien de contact établissement", "§3.3", (
        "L'adresse électronique choisie est affichée aux familles dans la page « Contact » de "
        "« Scolarité services » quand le lien est actif.")),
    "fiche": Topic("Fiche établissement", "§3.2.1", (
        "La fiche établissement donne l'en-tête de chaque courrier de notification et des "
        "listes de classes : nom, adresse, code postal, ville, téléphone, adresse électronique, "
        "nom et titre du chef d'établissement.",
        "Elle est préremplie par l'import SIECLE quand l'export contient ces informations ; "
        "ce que l'établissement saisit n'est jamais écrasé par un import.",
        "Un courrier n'est jamais imprimé avec un en-tête incomplet : la notification indique "
        "le champ à remplir. L'adresse électronique de la fiche reçoit les réponses des "
        "familles aux courriels envoyés par l'établissement.")),
    "rattachement": Topic("Établissements à rattacher", "§8", (
        "Un établissement créé par un import SIECLE est rattaché à l'académie de son "
        "département. Quand l'académie n'est pas connue, il apparaît ici pour chaque "
        "administrateur académique, qui le rattache à son académie.",
        "Un établissement rattaché ne peut plus changer d'académie.")),
    "liens": Topic("Liens utiles", "§3.4", (
        "Les liens utiles (libellé et adresse http ou https, tous deux obligatoires) sont "
        "affichés aux familles dans l'ordre de leur création.")),
    "responsables": Topic("Accès des responsables", "§4.1 et §4.2", (
        "La liste montre les comptes des responsables avec leur état : non notifié, notifié, "
        "en cours d'activation, utilisé. Les filtres (division, état, qualité…) "
        "sélectionnent une population ; les cases à cocher choisissent des comptes précis.",
        "« Notifier » produit les courriers (papier, courrier électronique, ou les deux : "
        "courriel quand l'adresse est valide, papier sinon) avec les identifiants et mots de "
        "passe provisoires. Le document est à récupérer dans « Tâches ».",
        "« Gérer » ouvre le compte d'un responsable : renotifier, réinitialiser le mot de "
        "passe, renvoyer le courriel d'activation, écrire un courriel, simuler l'accès à "
        "« Scolarité services ».",
        "Un compte notifié et non activé expire au bout de 3 mois : renotifiez-le avant.")),
    "eleves": Topic("Accès des élèves", "§5.1 et §5.2", (
        "La liste montre les comptes des élèves et leur état. « Notifier » produit les "
        "courriers avec les identifiants et mots de passe provisoires ; une option "
        "réinitialise aussi les mots de passe des comptes déjà utilisés — à employer avec "
        "précaution, car tous les élèves concernés devront recevoir un nouveau mot de passe.",
        "« Gérer » ouvre le compte d'un élève pour l'assister : renotifier, réinitialiser le "
        "mot de passe, simuler l'accès.")),
    "listes": Topic("Listes de classes", "§5.3", (
        "Choisissez une division ou un groupe (seuls les groupes contenant des élèves sont "
        "proposés) pour éditer la liste des comptes des élèves en PDF ou en CSV, afin de "
        "distribuer les comptes en classe.")),
    "taches": Topic("Tâches", "§4.1 et §5.1", (
        "Les notifications en masse s'exécutent en tâche de fond : cette page montre leur "
        "avancement, leur bilan et le document PDF à imprimer. Le document contient des mots "
        "de passe provisoires : supprimez-le du serveur une fois imprimé.",
        "Un grand export CSV d'une liste de comptes s'exécute aussi en tâche de fond : le "
        "fichier se télécharge depuis la page de la tâche ; supprimez-le du serveur une fois "
        "enregistré.")),
    "statistiques": Topic("Statistiques", "§6.1, §6.2 et §6.3", (
        "« Synthèse comptes élèves » et « Synthèse comptes responsables » comptent les "
        "comptes par état, pour l'établissement puis par MEF et par division, avec les "
        "pourcentages de comptes utilisés.",
        "« Synthèse accès téléservices » compte les accès aux téléservices sur une période, "
        "par mois, par catégorie de service et par MEFSTAT.",
        "Chaque tableau s'exporte en CSV ; « Imprimer » donne une version papier datée qui "
        "nomme l'établissement.")),
    "donnees": Topic("Données SIECLE", "§1.6", (
        "Les élèves, responsables, MEF, divisions et groupes viennent des exports SIECLE "
        "(Base élèves établissement). L'import contrôle le fichier et montre ce qui va "
        "changer avant de l'appliquer ; un export qui viderait l'établissement est refusé.")),
    "journal": Topic("Journal", "sécurité", (
        "Le journal garde la trace de chaque action sur un compte ou un paramètre : qui, "
        "quand (heure de Paris), depuis quelle adresse, quoi, et l'état avant et après. Il "
        "est en lecture seule.",
        "Le filtre « Date » accepte un jour (JJ/MM/AAAA) ou une période « JJ/MM/AAAA au "
        "JJ/MM/AAAA ».")),
    "academie": Topic("Administration académique", "§8", (
        "L'administrateur académique gère les établissements de l'académie, les utilisateurs, "
        "les téléservices académiques, les services rendus obligatoires dans l'académie, "
        "l'ENT de l'académie et le référentiel TIPI du paiement en ligne.",
        "Il peut agir dans chaque établissement après l'avoir choisi dans la barre du haut.")),
}

# Endpoint (or its first part) -> topic.
ENDPOINTS = {
    "admin": "accueil", "services_ouverture": "services", "services_notes": "notes",
    "services_dates_publication": "notes", "services_paiement": "paiement",
    "param_message": "message", "param_ent": "courriers", "param_courriers": "courriers",
    "param_contact": "contact", "param_liens": "liens", "param_fiche": "fiche",
    "rattacher": "rattachement", "responsables": "responsables",
    "eleves": "eleves", "listes_classes": "listes", "taches": "taches",
    "stats_eleves": "statistiques", "stats_responsables": "statistiques",
    "stats_acces": "statistiques", "import_siecle": "donnees", "donnees_eleves": "donnees",
    "donnees_responsables": "donnees", "donnees_divisions": "donnees", "donnees_mef": "donnees",
    "journal": "journal", "journal_academique": "journal", "etablissements": "academie",
    "utilisateurs": "academie", "utilisateurs_etablissement": "academie",
    "academie_services": "academie", "academie_obligatoires": "academie",
    "academie_ent": "academie", "academie_tipi": "academie",
}

# « Quoi de neuf »: this version's changes, newest first (guide §1.2 keeps such a history).
NEWS = (
    ("Français partout", "Tous les écrans et messages sont en français, y compris les menus "
     "de pagination, les exports et la barre d'outils des graphiques (sans bouton d'envoi "
     "vers un service extérieur)."),
    ("Dates et nombres lisibles", "Dates au format JJ/MM/AAAA, heures de Paris, milliers "
     "séparés par une espace, virgule décimale ; l'année scolaire s'écrit 2026/2027."),
    ("Journal lisible", "Les actions du journal sont écrites en toutes lettres et l'état "
     "avant/après est une liste lisible ; le filtre par date accepte JJ/MM/AAAA."),
    ("Aide et impression", "Chaque écran a son « Aide » ; « Imprimer » produit une version "
     "papier qui nomme l'établissement, son UAI et la date d'impression."),
    ("Ouverture des services", "L'état de chaque téléservice est indiqué clairement "
     "(« Ouvert » / « Fermé ») avec un bouton qui dit ce qu'il fait."),
)


def topic_for(endpoint: str | None) -> str:
    return ENDPOINTS.get(endpoint or "", "accueil")
