"""Menu « Paramétrage »: Message d'accueil (R-PAR-2), ENT et courrier de notification (R-PAR-3),
Courriers (R-PAR-4, in `courriers`), Lien de contact (R-PAR-5), Liens utiles (R-PAR-6).

Every screen shows the value families see today, the pending change if any, and from when a
change applies (R-PAR-1, `settings.notice`). Views call the domain modules, commit, and turn a
`DomainError` into a French message after a rollback (nothing half-written).
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from markupsafe import Markup
from wtforms import validators

from .. import clock, permissions
from ..errors import DomainError
from ..extensions import db
from ..models import LienUtile
from ..parametrage import portal_links, versions, welcome
from ..tenancy import current_etablissement, require_etablissement_id
from .base import TenantBaseView, TenantModelView, domain_validator, run

CATEGORY = "Paramétrage"


def setting_context(etab_id: int, key: str, default=None) -> dict:
    day = clock.today()
    return {"en_vigueur": versions.get(etab_id, key, day, default),
            "en_attente": versions.pending_from(etab_id, key, day),
            "notice": versions.notice(key, day)}


class MessageAccueilView(TenantBaseView):
    area = permissions.PARAMETRAGE

    @expose("/", methods=["GET", "POST"])
    def index(self):
        etab_id = self.etablissement_id()
        message = versions.get_latest(etab_id, welcome.KEY) or ""
        status = 200
        if request.method == "POST":
            submitted = request.form.get("message", "")
            _, ok = run(lambda: welcome.save(etab_id, submitted, today=clock.today(),
                                                     by=current_user.login))
            if ok:
                flash("Message d'accueil enregistré. "
                      + versions.notice(welcome.KEY, clock.today()), "success")
                return redirect(url_for(".index"))
            # Shown back for correction, as text; a huge refused one only in part.
            message, status = submitted[:welcome.MAX_HTML_CHARS], 400
        # Stored HTML is sanitised again before it is shown (whoever wrote the setting);
        # refused input comes back only as text.
        editor_html = Markup(welcome.sanitise(message)) if status == 200 \
            else Markup.escape(message)
        context = setting_context(etab_id, welcome.KEY, "")
        context["en_vigueur"] = Markup(welcome.sanitise(context["en_vigueur"] or ""))
        return self.render("admints/parametrage/message.html", editor_html=editor_html,
                           max_chars=welcome.MAX_CHARS,
                           max_html_chars=welcome.MAX_HTML_CHARS,
                           longueur=welcome.text_length(editor_html)
                           if status == 200 else 0, **context), status


class EntView(TenantBaseView):
    area = permissions.PARAMETRAGE

    @expose("/", methods=["GET", "POST"])
    def index(self):
        etab = current_etablissement()
        self.etablissement_id()
        value = versions.get_latest(etab.id, portal_links.ENT_KEY) or portal_links.DEFAULT_ENT
        form = {"type": value.get("type") or "teleservices", "url": value.get("url") or "",
                "ent_id": ""}
        choices = portal_links.ent_choices(etab)
        for ent in choices:
            if value.get("url") == ent.url and value.get("nom") == ent.nom:
                form.update(ent_id=str(ent.id), url="")
        status = 200
        if request.method == "POST":
            form = {k: (request.form.get(k) or "").strip() for k in ("type", "ent_id", "url")}
            _, ok = run(lambda: portal_links.save_ent(
                etab, form["type"], form["ent_id"] or None, form["url"] or None,
                today=clock.today(), by=current_user.login))
            if ok:
                flash("ENT et courrier de notification enregistrés. "
                      + versions.notice(portal_links.ENT_KEY, clock.today()), "success")
                return redirect(url_for(".index"))
            status = 400
        return self.render("admints/parametrage/ent.html", form=form, choices=choices,
                           types=portal_links.ENT_TYPES,
                           **setting_context(etab.id, portal_links.ENT_KEY,
                                             portal_links.DEFAULT_ENT)), status


class ContactView(TenantBaseView):
    area = permissions.PARAMETRAGE

    @expose("/", methods=["GET", "POST"])
    def index(self):
        etab = current_etablissement()
        self.etablissement_id()
        addresses = portal_links.contact_addresses(etab)
        if request.method == "POST":
            actif = request.form.get("actif") == "1"
            _, ok = run(lambda: portal_links.save_contact(
                etab, request.form.get("email"), actif, today=clock.today(), by=current_user.login))
            if ok:
                flash("Lien de contact enregistré. "
                      + versions.notice(portal_links.CONTACT_KEY, clock.today()), "success")
                return redirect(url_for(".index"))
        saved = versions.get_latest(etab.id, portal_links.CONTACT_KEY) or {}
        return self.render("admints/parametrage/contact.html", addresses=addresses, saved=saved,
                           **setting_context(etab.id, portal_links.CONTACT_KEY)), \
            200 if request.method == "GET" else 400


def _order_buttons(view, context, model, name):
    token = context.get("csrf_token")
    csrf = Markup('<input type="hidden" name="csrf_token" value="{}">').format(token()) \
        if token else Markup("")
    out = []
    # DSFR buttons named after the link (« Monter CDI du collège »), issue 13 point 1.
    for direction, symbol, title in (("-1", "↑", "Monter"), ("1", "↓", "Descendre")):
        out.append(Markup(
            '<form method="post" action="{}" class="admints-row-action">{}<input type="hidden" '
            'name="id" value="{}"><input type="hidden" name="sens" value="{}"><button '
            'type="submit" class="fr-btn fr-btn--sm fr-btn--tertiary" title="{} {}">'
            '<span aria-hidden="true">{}</span><span class="fr-sr-only">{} {}</span></button>'
            '</form>'
        ).format(url_for(".move"), csrf, model.id, direction, title, model.libelle, symbol,
                 title, model.libelle))
    return Markup("").join(out)


class LiensUtilesView(TenantModelView):
    """Liens utiles (R-PAR-6): label and http(s) URL required, shown in creation order."""

    area = permissions.PARAMETRAGE
    can_create = can_edit = can_delete = True
    list_template = "admints/parametrage/liens_list.html"
    column_list = ("libelle", "url", "ordre")
    column_labels = {"libelle": "Libellé", "url": "Url", "ordre": "Ordre"}
    column_formatters = {"ordre": _order_buttons,
                         "url": lambda v, c, m, n: Markup('<a href="{0}" rel="noopener noreferrer"'
                                                          ' target="_blank">{0}</a>').format(m.url)}
    column_sortable_list = ()
    column_default_sort = [("position", False), ("id", False)]
    form_columns = ("libelle", "url")
    form_args = {
        "libelle": {"label": "Libellé", "validators": [
            validators.InputRequired("Le libellé est obligatoire."),
            domain_validator(portal_links.check_plain_label)]},
        "url": {"label": "Url", "validators": [
            validators.InputRequired("L'adresse (url) est obligatoire."),
            domain_validator(lambda v: portal_links.check_http_url(v, "L'adresse (url)"))]},
    }

    def __init__(self, **kwargs):
        super().__init__(LienUtile, db, **kwargs)

    def on_model_change(self, form, model, is_created):
        try:
            model.libelle, model.url = portal_links.check_lien(model.libelle, model.url)
        except DomainError as exc:
            raise validators.ValidationError(exc.message) from None
        super().on_model_change(form, model, is_created)
        if is_created:
            model.position = portal_links.next_position(model.etablissement_id)
        db.session.add(model)
        portal_links.publish_liens(model.etablissement_id, today=clock.today(),
                                   by=current_user.login)
        flash(versions.notice(portal_links.LIENS_KEY, clock.today()), "info")

    def on_model_delete(self, model):
        super().on_model_delete(model)
        portal_links.publish_liens(model.etablissement_id, today=clock.today(), exclude_id=model.id,
                                  by=current_user.login)

    def render(self, template, **kwargs):
        if template == self.list_template:
            kwargs.update(setting_context(require_etablissement_id(), portal_links.LIENS_KEY, []))
        return super().render(template, **kwargs)

    @expose("/deplacer", methods=["POST"])
    def move(self):
        etab_id = require_etablissement_id()
        direction = 1 if request.form.get("sens") == "1" else -1
        run(lambda: portal_links.move_lien(etab_id, request.form.get("id"), direction,
                                          today=clock.today()),
            "Ordre des liens modifié. " + versions.notice(portal_links.LIENS_KEY, clock.today()))
        return redirect(url_for(".index_view"))


def register(admin) -> None:
    from . import courriers, fiche

    fiche.register(admin, CATEGORY)
    admin.add_view(MessageAccueilView(name="Message d'accueil", category=CATEGORY,
                                      endpoint="param_message", url="/parametrage/message"))
    admin.add_view(EntView(name="ENT et courrier de notification", category=CATEGORY,
                           endpoint="param_ent", url="/parametrage/ent"))
    courriers.register(admin, CATEGORY)
    admin.add_view(ContactView(name="Lien de contact", category=CATEGORY,
                               endpoint="param_contact", url="/parametrage/contact"))
    admin.add_view(LiensUtilesView(name="Liens utiles", category=CATEGORY,
                                   endpoint="param_liens", url="/parametrage/liens"))
