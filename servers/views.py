from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from servers import selectors


@login_required
def home(request):
    return render(request, "servers/home.html", {"accounts": selectors.accounts_for(request.user)})
