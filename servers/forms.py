"""Forms: every value is checked here, before anything is sent to the provider."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError
from django.views.decorators.debug import sensitive_variables

from servers import services
from servers.cac import addresses
from servers.cac.client import check_credentials
from servers.cac.errors import CacError
from servers.models import DEFAULT_BASE_URL

KEY_REQUIRED = (
    "Type the API key to change the API address or the login: the stored key is only ever sent "
    "where someone who knows it chose."
)
CHECK_FAILED_HINT = (
    "Nothing was saved. Fix it and save again, or tick \u201cSave without checking\u201d to "
    "store it anyway (for instance before whitelisting this panel's IP address)."
)
CLOUD_AT_COST, SANDBOX = "cloudatcost", "sandbox"


class AccountForm(forms.Form):
    name = forms.CharField(max_length=100, strip=True)
    login = forms.EmailField(label="Login email", max_length=254)
    api_key = forms.CharField(
        label="API key",
        max_length=200,
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    # Only when the sandbox is mounted: the demo works without typing a hidden address.
    provider = forms.ChoiceField(
        label="Provider",
        required=False,
        widget=forms.RadioSelect,
        choices=[(CLOUD_AT_COST, "Cloud at Cost"), (SANDBOX, "The built-in sandbox (demo)")],
        initial=CLOUD_AT_COST,
    )
    base_url = forms.URLField(
        label="API base URL",
        max_length=300,
        initial=DEFAULT_BASE_URL,
        assume_scheme="https",
        help_text="Only change this to use another endpoint; it then wins over the choice above.",
    )
    skip_check = forms.BooleanField(
        label="Save without checking",
        required=False,
        help_text="Adding an account asks Cloud at Cost for its servers once, to check the key.",
    )

    def __init__(self, *args, account=None, **kwargs):
        self.account = account
        self.server_count: int | None = None
        self.sandbox_url = addresses.sandbox_base_url()
        if account is not None:
            # The key is write-only: never put it (or its ciphertext) into the form.
            kwargs.setdefault(
                "initial",
                {
                    "name": account.name,
                    "login": account.login,
                    "base_url": account.base_url,
                    "provider": SANDBOX if account.base_url == self.sandbox_url else CLOUD_AT_COST,
                },
            )
        super().__init__(*args, **kwargs)
        if self.sandbox_url is None:
            del self.fields["provider"]
        else:
            self.fields["provider"].help_text = f"The sandbox is at {self.sandbox_url}"
        if account is None:
            self.fields["api_key"].required = True
        else:
            del self.fields["skip_check"]
            hint = account.api_key_display
            self.fields["api_key"].help_text = (
                f"Stored key {hint}. Leave blank to keep it (unless you change the address or "
                "the login)."
                if hint
                else "Leave blank to keep the stored key."
            )

    @sensitive_variables()
    def clean_api_key(self):
        key = self.cleaned_data["api_key"]
        if key and any(char.isspace() for char in key):
            raise ValidationError("An API key has no spaces.")
        return key

    def clean_base_url(self):
        url = self.cleaned_data["base_url"]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValidationError("Use an http or https address.")
        if parts.username or parts.password:
            raise ValidationError("Leave credentials out of the address.")
        url = url if url.endswith("/") else url + "/"
        choice = self.data.get(self.add_prefix("provider"))
        # The radio decides between the two known addresses; any other address typed under
        # Advanced wins over it.
        known = (DEFAULT_BASE_URL, self.sandbox_url)
        if self.sandbox_url and choice in (CLOUD_AT_COST, SANDBOX) and url in known:
            url = self.sandbox_url if choice == SANDBOX else DEFAULT_BASE_URL
        try:
            addresses.check_resolution(url)
        except addresses.AddressNotAllowed as refused:
            raise ValidationError(str(refused)) from None
        return url

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        key, login, url = data.get("api_key"), data["login"], data["base_url"]
        if self.account is not None:
            moved = url != self.account.base_url or login != self.account.login
            if moved and not key:
                self.add_error("api_key", KEY_REQUIRED)
            return data
        if not data.get("skip_check"):
            try:
                self.server_count = check_credentials(base_url=url, login=login, api_key=key)
            except CacError as error:
                self.add_error(None, f"The check failed: {error.message} {CHECK_FAILED_HINT}")
        return data


class PowerForm(forms.Form):
    action = forms.ChoiceField(choices=list(services.POWER_ACTIONS.items()))


class RunModeForm(forms.Form):
    mode = forms.ChoiceField(choices=list(services.RUN_MODES.items()))


class RenameForm(forms.Form):
    # The provider's limit, so the browser stops at the same length the server refuses past.
    name = forms.CharField(max_length=services.SERVER_NAME_MAX, strip=True, label="Name")

    def clean_name(self):
        return services.clean_server_name(self.cleaned_data["name"])


class ReverseDnsForm(forms.Form):
    hostname = forms.CharField(max_length=300, strip=True, label="Reverse DNS host name")

    def clean_hostname(self):
        return services.clean_hostname(self.cleaned_data["hostname"])


class BuildForm(forms.Form):
    cpu = forms.IntegerField(label="CPU cores", initial=1)
    ram = forms.IntegerField(label="RAM (MB)", initial=1024)
    storage = forms.IntegerField(label="Storage (GB)", initial=20)
    # Chosen by name: template ids were renumbered by the provider at least once.
    os = forms.ChoiceField(label="Operating system")
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=40)

    def __init__(self, *args, templates=(), resources=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.templates = list(templates)
        self.resources = resources
        self.fields["os"].choices = [("", "Choose…")] + [(t.name, t.name) for t in self.templates]
        for name, (low, high, step) in services.BUILD_LIMITS.items():
            self.fields[name].widget.attrs.update({"min": low, "max": high, "step": step})
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", str(uuid.uuid4()))

    def clean_idempotency_key(self):
        key = self.cleaned_data["idempotency_key"]
        try:
            return str(uuid.UUID(key))
        except ValueError:
            raise ValidationError("The form is damaged; reload the page.") from None

    def clean_os(self):
        name = self.cleaned_data["os"]
        for template in self.templates:
            if template.name == name:
                return template
        raise ValidationError("Choose one of this account's templates.")

    def clean(self):
        cleaned = super().clean()
        values = {name: cleaned.get(name) for name in services.BUILD_LIMITS}
        for field, message in services.build_value_errors(values, self.resources).items():
            if field not in self.errors and values[field] is not None:
                self.add_error(field, message)
        return cleaned


class DeleteServerForm(forms.Form):
    confirm_name = forms.CharField(label="Type the server's name to confirm", strip=True)

    def __init__(self, *args, server=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.server = server

    def clean_confirm_name(self):
        typed = self.cleaned_data["confirm_name"]
        if typed != self.server.name:
            raise ValidationError(f"Type {self.server.name} exactly to delete this server.")
        return typed


ROLE_CHOICES = [("viewer", "Viewer"), ("operator", "Operator"), ("manager", "Manager")]


class InviteForm(forms.Form):
    who = forms.CharField(
        label="Username or email",
        max_length=254,
        required=False,
        strip=True,
        help_text=(
            "A username invites that user, who accepts after signing in; an email (or "
            "nothing) makes a link."
        ),
    )
    role = forms.ChoiceField(choices=ROLE_CHOICES, initial="viewer")


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=ROLE_CHOICES)


class InvitationSignupForm(forms.Form):
    """A new user created by opening an invitation (public sign-up may be off)."""

    username = forms.CharField(max_length=150, strip=True)
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label="Password again", widget=forms.PasswordInput, strip=False)

    def clean_username(self):
        from django.contrib.auth import get_user_model

        username = self.cleaned_data["username"]
        user_model = get_user_model()
        user_model.username_validator(username)
        if user_model.objects.filter(username__iexact=username).exists():
            raise ValidationError("That username is taken.")
        return username

    @sensitive_variables()
    def clean(self):
        from django.contrib.auth import get_user_model
        from django.contrib.auth.password_validation import validate_password

        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        elif first:
            candidate = get_user_model()(username=data.get("username", ""))
            try:
                validate_password(first, candidate)
            except ValidationError as error:
                self.add_error("password1", error)
        return data
