from django import forms
from django.utils.translation import gettext_lazy as _


class MyDataRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        help_text=_("We will send a link to this address if we hold any details for it."),
        error_messages={
            "required": _("Enter your email address"),
            "invalid": _("Enter an email address in the correct format, like name@example.com"),
        },
    )
    email.widget.attrs.update(autocomplete="email", spellcheck="false")
