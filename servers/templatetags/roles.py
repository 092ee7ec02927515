"""`{% load roles %}{% with caps=account|caps_for:request.user %}{% if caps.manage %}`: templates
ask the permissions module, the same one the views ask, which buttons a role may see."""

from django import template

from servers import permissions

register = template.Library()


@register.filter
def caps_for(account, user):
    return permissions.caps_for(user, account)
