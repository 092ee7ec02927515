from django.urls import path

from servers.views import accounts, actions, activity, lists, servers

account = "accounts/<uuid:account_id>/"
server = account + "servers/<str:server_id>/"

urlpatterns = [
    path("", servers.home, name="home"),
    path("accounts/", accounts.account_list, name="account_list"),
    path("accounts/add/", accounts.account_add, name="account_add"),
    path(account + "edit/", accounts.account_edit, name="account_edit"),
    path(account + "delete/", accounts.account_delete, name="account_delete"),
    path(account + "test/", accounts.account_test, name="account_test"),
    path(account + "servers/", servers.account_servers, name="account_servers"),
    path(account + "templates/", lists.templates, name="templates"),
    path(account + "tasks/", lists.tasks, name="tasks"),
    path(account + "cloudpro/", lists.cloudpro, name="cloudpro"),
    path(account + "cloudpro/build/", lists.build, name="build"),
    path(account + "activity/", activity.account_activity, name="account_activity"),
    path(server, servers.server_detail, name="server_detail"),
    path(server + "power/", actions.power, name="power"),
    path(server + "runmode/", actions.run_mode, name="run_mode"),
    path(server + "rename/", actions.rename, name="rename"),
    path(server + "rdns/", actions.reverse_dns, name="reverse_dns"),
    path(server + "console/", actions.console, name="console"),
    path(server + "delete/", actions.delete_server, name="delete_server"),
    path(server + "activity/", activity.server_activity, name="server_activity"),
]
