"""The conclusion of a debate in the admin: its own page, linked from the debate's.

/admin/debates/debate/<id>/conclusion/ has the text box and "Check and preview"; the check runs
debates.following.conclusion_problems and shows each problem next to its field with a summary,
or, with none, the conclusion as residents will see it, how many people will be told, and the
Publish button, which posts the same text again. Publishing goes through
debates.following.conclusion_publish, which checks the permission and the same problems, audits,
and has a worker tell those who asked, once. An officer who does not run the debate gets 404
(AdminPagesMixin.page_object); once published, the page shows the conclusion as it went out.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from civic.admin_base import admin_page_path
from civic.formatting import markdown_to_html, when
from civic.forms import ServiceErrorsMixin
from debates import following
from debates.models import Conclusion, Debate

TEMPLATE = "admin/debates/debate/conclusion.html"


class ConclusionForm(ServiceErrorsMixin, forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Conclusion"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "class": "vLargeTextField"}),
        help_text=gettext_lazy(
            "What the council concludes from the debate and what it will do next. Markdown. "
            "It shows at the top of the debate's page."
        ),
    )


def conclusion_urls(model_admin) -> list:
    """The URL pattern of the conclusion's page, for DebateAdmin.admin_pages."""
    view = ConclusionPage(model_admin).view
    return [admin_page_path(model_admin, "<int:object_id>/conclusion/", view, "conclusion")]


def conclusion_url(debate: Debate) -> str:
    return reverse("admin:debates_debate_conclusion", args=[debate.pk])


def _published(debate: Debate) -> Conclusion | None:
    try:
        conclusion = Conclusion.objects.get(debate=debate)
    except ObjectDoesNotExist:
        return None
    return conclusion if conclusion.published_at is not None else None


class ConclusionPage:
    def __init__(self, model_admin):
        self.admin = model_admin

    def view(self, request, object_id):
        debate = self.admin.page_object(request, object_id, permission=following.CONCLUDE)
        change_url = reverse("admin:debates_debate_change", args=[debate.pk])
        published = _published(debate)
        step = request.POST.get("step", "") if request.method == "POST" else ""
        form = ConclusionForm(request.POST if step else None)
        preview = ""
        if published is None and step in {"check", "publish"} and form.is_valid():
            text = form.cleaned_data["text"]
            problems = following.conclusion_problems(debate, text)
            if problems:
                form.add_service_errors(
                    ValidationError({key or "__all__": msg for key, msg in problems.items()})
                )
            elif step == "publish":
                try:
                    following.conclusion_publish(actor=request.user, debate=debate, text=text)
                except ValidationError as error:
                    form.add_service_errors(error)
                else:
                    messages.success(
                        request,
                        _("The conclusion is published: residents see it on the debate's page."),
                    )
                    return redirect(conclusion_url(debate))
            else:
                preview = markdown_to_html(text)
        told = following.conclusion_told_count(debate) if preview else 0
        return self.admin.page_response(
            request,
            TEMPLATE,
            {
                "title": _("Conclusion: %(question)s") % {"question": debate.question},
                "debate": debate,
                "original": debate,
                "form": form,
                "back_url": change_url,
                "published": published,
                "published_html": markdown_to_html(published.text) if published else "",
                "published_when": when(published.published_at) if published else "",
                "stage_words": Debate.Stage(debate.stage_at(timezone.now())).label,
                "preview": preview,
                "told_words": ngettext(
                    "%(count)d person asked to hear about this debate and will be told by e-mail.",
                    "%(count)d people asked to hear about this debate and will be told by e-mail.",
                    told,
                )
                % {"count": told},
            },
        )
