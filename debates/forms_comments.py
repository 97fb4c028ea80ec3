"""Forms of residents' comments on a debate: posting or replying, editing one's own, and voting.
They read what the browser sent; debates.services checks every rule again and its messages are
drawn back onto the form. The honeypot (`website`) and the signed moment the form was drawn
(`started`) are drawn by hand."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from civic.forms import ServiceErrorsMixin
from debates.models import Comment
from debates.services import COMMENT_LIMIT, FOLLOW_WORDING


class CommentForm(ServiceErrorsMixin, forms.Form):
    """A comment or a reply: the stance it takes and its words (Markdown-light)."""

    stance = forms.ChoiceField(
        label=_("Are you for or against?"),
        choices=Comment.Stance.choices,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose whether you are for, against or neutral")},
    )
    text = forms.CharField(
        label=_("Your comment"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    follows = forms.BooleanField(
        required=False,
        label=FOLLOW_WORDING,
        help_text=_("We will e-mail you about how the debate goes. You can stop at any time."),
    )

    def __init__(self, *args, label: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        text = self.fields["text"]
        text.label = label or text.label
        text.help_text = _(
            "Up to %(limit)s characters. You can use *italics*, **bold**, lists and links."
        ) % {"limit": f"{COMMENT_LIMIT:,}"}


class CommentEditForm(CommentForm):
    """Its author changes a comment's stance and words; following the debate is asked once."""

    follows = None


class VoteForm(forms.Form):
    """Up or down on a comment: the button pressed sends `value`."""

    value = forms.TypedChoiceField(
        choices=[("1", _("Up")), ("-1", _("Down"))],
        coerce=int,
        required=False,
        empty_value=0,
    )
