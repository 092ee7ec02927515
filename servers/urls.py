from django.urls import path

from servers.views import (
    accounts,
    actions,
    activity,
    bulk,
    invitations,
    lists,
    members,
    secrets,
    servers,
)

account = "accounts/<uuid:account_id>/"
server = account + "servers/<str:server_id>/"

urlpatterns = [
    path("", servers.home, name="home"),
    path("sections/", servers.sections, name="sections"),
    path("bulk/power/", bulk.bulk_power, name="bulk_power"),
    path("accounts/", accounts.account_list, name="account_list"),
    path("accounts/add/", accounts.account_add, name="account_add"),
    path(account + "edit/", accounts.account_edit, name="account_edit"),
    path(account + "delete/", accounts.account_delete, name="account_delete"),
    path(account + "test/", accounts.account_test, name="account_test"),
    path(account + "members/", members.members, name="members"),
    path(account + "members/<int:membership_id>/role/", members.member_role, name="member_role"),
    path(
        account + "members/<int:membership_id>/remove/", members.member_remove, name="member_remove"
    ),
    path(account + "leave/", members.leave, name="leave_account"),
    path(
        account + "members/two-factor/",
        members.two_factor_requirement,
        name="two_factor_requirement",
    ),
    path(account + "transfer/", members.transfer, name="transfer_ownership"),
    path(
        account + "invitations/<int:invitation_id>/revoke/",
        members.invitation_revoke,
        name="invitation_revoke",
    ),
    path(
        "invitations/<int:invitation_id>/accept/",
        invitations.accept_mine,
        name="invitation_accept",
    ),
    path(
        "invitations/<int:invitation_id>/decline/",
        invitations.decline_mine,
        name="invitation_decline",
    ),
    path("invitations/<str:token>/", invitations.invitation, name="invitation"),
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
    path(server + "passwords/", secrets.reveal_passwords, name="reveal_passwords"),
    path(server + "activity/", activity.server_activity, name="server_activity"),
]
