"""The invitations waiting for the signed-in user, for their home page."""

from django import template

from servers import team

register = template.Library()


@register.simple_tag(takes_context=True)
def invitations_for_me(context):
    request = context.get("request")
    return list(team.open_invitations_for(request.user)) if request is not None else []
