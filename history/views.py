"""Each user's notification choices for an account, and what was sent to them."""

from django.contrib import messages
from django.shortcuts import render

from history.forms import NotificationForm
from history.models import Delivery, Event, NotificationPreference
from servers import permissions
from servers.htmx import signin_required

RECENT = 20


@signin_required
def notification_settings(request, account_id):
    # Every member may choose what they hear about an account; strangers get 404.
    account = permissions.get_account_or_404(request, account_id, permissions.VIEW)
    preference = NotificationPreference.objects.filter(user=request.user, account=account).first()
    new_secret = ""
    if request.method == "POST":
        form = NotificationForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            preference = preference or NotificationPreference(user=request.user, account=account)
            preference.kinds = list(data["kinds"])
            preference.email = data["email"]
            preference.webhook_url = data["webhook_url"]
            if preference.webhook_url and (
                data["rotate_secret"] or not preference.webhook_secret_encrypted
            ):
                new_secret = preference.new_webhook_secret()
            preference.save()
            messages.success(request, "Your notification choices for this account are saved.")
            form = NotificationForm(initial=_initial(preference))
        status = 200 if form.is_valid() or not form.is_bound else 400
    else:
        form = NotificationForm(initial=_initial(preference))
        status = 200
    context = {
        "account": account,
        "form": form,
        "preference": preference,
        "new_secret": new_secret,
        "no_email": not request.user.email,
        "events": Event.objects.filter(account=account)[:RECENT],
        "deliveries": Delivery.objects.filter(
            user=request.user, event__account=account
        ).select_related("event")[:RECENT],
    }
    response = render(request, "history/notifications.html", context, status=status)
    if new_secret:
        response["Cache-Control"] = "no-store"
    return response


def _initial(preference):
    if preference is None:
        return {"kinds": [], "email": False}
    return {
        "kinds": preference.kinds,
        "email": preference.email,
        "webhook_url": preference.webhook_url,
    }
