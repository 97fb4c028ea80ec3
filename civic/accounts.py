"""Accounts (django-allauth) in the service's own voice: labels and errors in GOV.UK's plain
English, e-mails that name the service rather than the host they were asked from, and one
success banner per thing that happened.

allauth is kept for what it does well (rate limits, enumeration-safe flows, scanner-safe
confirmation); only its words are replaced. Its forms are subclassed through ACCOUNT_FORMS
and its adapter through ACCOUNT_ADAPTER (civic/settings.py); its pages are in
templates/account/.
"""

from __future__ import annotations

from allauth.account import forms as allauth_forms
from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.utils.translation import gettext_lazy as _

EMAIL_FORMAT = _("Enter an email address in the correct format, like name@example.com")

# Every field allauth's forms have, by name: its label and what each error says. An error
# names the field and says how to put it right, as the GOV.UK Design System asks.
FIELDS: dict[str, dict] = {
    "login": {
        "label": _("Email address"),
        "errors": {"required": _("Enter your email address"), "invalid": EMAIL_FORMAT},
    },
    "email": {
        "label": _("Email address"),
        "errors": {"required": _("Enter your email address"), "invalid": EMAIL_FORMAT},
    },
    "password": {
        "label": _("Password"),
        "errors": {"required": _("Enter your password")},
    },
    "remember": {"label": _("Keep me signed in on this device"), "errors": {}},
    "oldpassword": {
        "label": _("Current password"),
        "errors": {"required": _("Enter your current password")},
    },
    "password1": {
        "label": _("Password"),
        "errors": {"required": _("Enter a password")},
    },
    "password2": {
        "label": _("Confirm password"),
        "errors": {"required": _("Enter the password again")},
    },
}
# The same fields where the form sets a new password in place of an old one.
NEW_PASSWORD = {
    "password1": {
        "label": _("New password"),
        "errors": {"required": _("Enter a new password")},
    },
    "password2": {
        "label": _("Confirm new password"),
        "errors": {"required": _("Enter the new password again")},
    },
}
PASSWORDS_DIFFER = "You must type the same password each time."


class HouseVoice:
    """Labels and error messages from FIELDS (and `fields_voice`, for this form's own)."""

    fields_voice: dict[str, dict] = {}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            voice = {**FIELDS, **self.fields_voice}.get(name)
            if voice is None:
                continue
            field.label = voice["label"]
            field.error_messages = {**field.error_messages, **voice["errors"]}
            # A placeholder is no label, and allauth's repeat the label in title case.
            field.widget.attrs.pop("placeholder", None)

    def add_error(self, field, error) -> None:
        # allauth's own words when two passwords differ, in house voice.
        if field == "password2" and str(error) == str(_(PASSWORDS_DIFFER)):
            error = _("Enter the same password in both boxes")
        super().add_error(field, error)


class LoginForm(HouseVoice, allauth_forms.LoginForm):
    pass


class SignupForm(HouseVoice, allauth_forms.SignupForm):
    fields_voice = {
        "password1": {
            "label": _("Create a password"),
            "errors": {"required": _("Enter a password")},
        },
    }


class AddEmailForm(HouseVoice, allauth_forms.AddEmailForm):
    fields_voice = {
        "email": {
            "label": _("Email address"),
            "errors": {"required": _("Enter the email address to add"), "invalid": EMAIL_FORMAT},
        },
    }


class ChangePasswordForm(HouseVoice, allauth_forms.ChangePasswordForm):
    fields_voice = NEW_PASSWORD


class SetPasswordForm(HouseVoice, allauth_forms.SetPasswordForm):
    pass


class ResetPasswordForm(HouseVoice, allauth_forms.ResetPasswordForm):
    pass


class ResetPasswordKeyForm(HouseVoice, allauth_forms.ResetPasswordKeyForm):
    fields_voice = NEW_PASSWORD


class ReauthenticateForm(HouseVoice, allauth_forms.ReauthenticateForm):
    pass


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "account_inactive": _("This account has been closed"),
        "cannot_remove_primary_email": _(
            "You cannot remove your main email address. Make another address your main one first"
        ),
        "duplicate_email": _("This email address is already on your account"),
        "email_password_mismatch": _(
            "The email address or password is not right. Check both and try again"
        ),
        "email_taken": _("An account already uses this email address. Sign in instead"),
        "enter_current_password": _("Enter your current password"),
        "incorrect_code": _("The code is not right. Check it and try again"),
        "incorrect_password": _("The password is not right. Enter your current password"),
        "invalid_or_expired_key": _("This link has expired or has been used. Ask for a new one"),
        "invalid_login": _("The email address or password is not right. Check both"),
        "invalid_password_reset": _(
            "This link to reset your password has expired or has been used. Ask for a new one"
        ),
        "max_email_addresses": _("You cannot add more than %d email addresses"),
        "too_many_login_attempts": _(
            "Too many failed attempts to sign in. Wait a few minutes and try again"
        ),
        "unknown_email": _("There is no account with this email address. Check it"),
        "unverified_primary_email": _("Confirm your main email address first"),
        "select_only_one": _("Select one email address"),
        "same_as_current": _("Enter a different email address from your current one"),
        "rate_limited": _("You have asked too many times. Wait a few minutes and try again"),
    }

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Every account e-mail names the service (CIVIC_SITE_NAME), not the host name that
        allauth would take from the request (`current_site` without the Sites framework)."""
        context = {
            **context,
            "site_name": settings.CIVIC_SITE_NAME,
            "site_url": settings.CIVIC_SITE_URL,
        }
        super().send_mail(template_prefix, email, context)

    def format_email_subject(self, subject: str) -> str:
        return str(subject).strip()

    def add_message(self, request, level, message_template=None, message_context=None, **kwargs):
        """One success banner after confirming an address: being signed in as well goes
        without saying (the header shows it), so that banner is left out."""
        if message_template == "account/messages/email_confirmed.txt":
            request.civic_email_confirmed = True
        if message_template == "account/messages/logged_in.txt" and getattr(
            request, "civic_email_confirmed", False
        ):
            return
        super().add_message(request, level, message_template, message_context, **kwargs)
