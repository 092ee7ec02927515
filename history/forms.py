from django import forms

from history import webhooks
from history.models import EventKind


class NotificationForm(forms.Form):
    kinds = forms.MultipleChoiceField(
        choices=EventKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Tell me when",
    )
    email = forms.BooleanField(required=False, label="By email")
    webhook_url = forms.URLField(
        required=False,
        max_length=500,
        label="Webhook URL",
        help_text="A JSON POST per event, signed with HMAC-SHA256 (X-Catcpanel-Signature).",
        assume_scheme="https",
    )
    rotate_secret = forms.BooleanField(required=False, label="Make a new signing secret")

    def clean_webhook_url(self):
        url = self.cleaned_data["webhook_url"].strip()
        if url and (problem := webhooks.check_url(url)):
            raise forms.ValidationError(problem)
        return url
